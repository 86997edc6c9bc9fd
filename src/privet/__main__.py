from privet.cli import main

main()
