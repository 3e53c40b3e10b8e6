from bot.console.app import create_app
from bot.web import serve

if __name__ == "__main__":
    serve(create_app(), "CONSOLE_PORT", 8001)
