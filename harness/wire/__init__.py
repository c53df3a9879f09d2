"""Between the parent and its children: one typed definition per message (messages.py), their JSON form
(codec.py), signed lines over pipes (channel.py), and how a child process is started (launch.py)."""
