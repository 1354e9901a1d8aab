"""A tarpit on 127.0.0.1: accepts every connection and never says a word (a mail relay or web server that
hangs), until ``recover()`` turns it into a plain proxy to a real server on the same port."""
import socket
import threading

from tcp_proxy import TcpProxy


class Tarpit(TcpProxy):
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 9):
        self.stalled = True
        self.held: list[socket.socket] = []  # kept open, never answered
        self.accepted = 0
        super().__init__(target_host, target_port)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.stalled:
                with self._lock:
                    self.held.append(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def recover(self, target_port: int | None = None) -> None:
        """From now on, connections reach the real server (``target_port``); the hung ones are dropped."""
        if target_port is not None:
            self.target = (self.target[0], target_port)
        self.stalled = False
        with self._lock:
            held, self.held = self.held, []
        for client in held:
            client.close()

    def close(self) -> None:
        self.recover()
        super().close()
