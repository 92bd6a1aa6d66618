from talentflow.cli import main

main()
