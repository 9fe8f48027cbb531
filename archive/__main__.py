from archive.launch import main

main()
