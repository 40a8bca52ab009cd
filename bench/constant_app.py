"""The practical limit for `make bench`: a Flask route that answers constant JSON, under the same server settings."""
from flask import Flask, jsonify


def create_app():
    app = Flask(__name__)

    @app.get("/json")
    def constant():
        return jsonify(code=0, message=None, response={"status": "paid", "amount": 15000})

    return app
