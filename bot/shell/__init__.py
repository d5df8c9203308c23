"""The Telegram shell: the Application, its scheduler, delivery, update order and flood limits."""
