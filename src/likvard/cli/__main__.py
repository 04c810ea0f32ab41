from likvard.cli import main

main()
