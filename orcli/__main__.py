from orcli.cli.app import main

main()
