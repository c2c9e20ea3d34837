from feed.cli import app

app()
