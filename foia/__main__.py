from foia.cli import main

main()
