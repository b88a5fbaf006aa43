package dev.ferry.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A peer that accepts every connection, reads what it is sent and never answers a byte: the registry that holds a
 * caller forever. A real registry does not do this on purpose, hence a scripted peer.
 */
public final class SilentPeer implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();

    public SilentPeer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "silent-peer");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                held.add(s);
                Thread reader = new Thread(() -> drain(s), "silent-peer-conn");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void drain(Socket s) {
        byte[] buf = new byte[8192];
        try (InputStream in = s.getInputStream()) {
            int n;
            boolean counted = false;
            while ((n = in.read(buf)) >= 0) {
                if (!counted && n > 0) {
                    requests.incrementAndGet();
                    counted = true;
                }
            }
        } catch (IOException gone) {
            // the client gave up: what it should do
        }
        if (!server.isClosed()) {
            closed.incrementAndGet();
        }
    }

    public String hostPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections on which something was sent. */
    public int requests() {
        return requests.get();
    }

    /** Connections the client has closed or reset (it gave up waiting). */
    public int closedByClient() {
        return closed.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : held) {
            s.close();
        }
    }
}
