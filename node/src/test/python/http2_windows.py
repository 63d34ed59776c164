"""What a node's HTTP/2 side tells a client when it connects, read with Python's h2 (Debian's python3-h2).

Usage: http2_windows.py HOST PORT
Connects over plain TCP (HTTP/2 with prior knowledge, as gRPC does), sends the client preface and reads until the
server's SETTINGS and its WINDOW_UPDATE for the connection (stream 0) have come. Prints one JSON line:
initial_window_size, max_frame_size, max_concurrent_streams (the server's SETTINGS) and connection_window (the
connection's flow-control window the client may now send into: 65535 plus the server's increments).
"""
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    settings, window_grown = None, False
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(connection.data_to_send())
        while settings is None or not window_grown:
            data = sock.recv(65536)
            if not data:
                raise SystemExit("the node closed the connection before its settings and window update")
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.RemoteSettingsChanged):
                    settings = {code: setting.new_value for code, setting in event.changed_settings.items()}
                elif isinstance(event, h2.events.WindowUpdated) and event.stream_id == 0:
                    window_grown = True
            sock.sendall(connection.data_to_send())
    print(json.dumps({
        "initial_window_size": settings.get(h2.settings.SettingCodes.INITIAL_WINDOW_SIZE),
        "max_frame_size": settings.get(h2.settings.SettingCodes.MAX_FRAME_SIZE),
        "max_concurrent_streams": settings.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS),
        "connection_window": connection.outbound_flow_control_window,
    }))


if __name__ == "__main__":
    main()
