from bot.web import serve
from webchat.app import create_app

if __name__ == "__main__":
    serve(create_app(), "WEBCHAT_PORT", 8000)
