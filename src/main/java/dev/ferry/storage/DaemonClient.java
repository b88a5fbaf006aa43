package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The few Docker Engine API calls {@code docker-daemon:} needs, over the daemon's unix socket ({@code unix:///PATH},
 * what {@code DOCKER_HOST} names; podman's {@code system service} speaks the same API). Vert.x 4 opens unix sockets only
 * with its native transport, so this is a small blocking HTTP/1.1 client over the JDK's own unix-domain
 * {@link SocketChannel}: one connection per call ({@code Connection: close}), request bodies from a file, response
 * bodies as a stream (chunked or by length). Blocking: call it on a worker thread.
 */
final class DaemonClient {
    /** Most bytes of an error answer read (the daemon's JSON message). */
    private static final int ERROR_BODY = 64 * 1024;

    private final Path socket;
    private final String describe;

    private DaemonClient(Path socket, String describe) {
        this.socket = socket;
        this.describe = describe;
    }

    /** A client for {@code host} ({@code unix:///run/podman/podman.sock}); anything else is refused. */
    static DaemonClient of(String host) {
        if (host == null || !host.startsWith("unix://") || host.length() <= "unix://".length()) {
            throw new FerryException(ProblemType.UNSUPPORTED_TRANSPORT, "ferry.docker.host must be unix:///PATH (a Docker"
                    + " Engine API socket), not " + host);
        }
        return new DaemonClient(Path.of(host.substring("unix://".length())), "the Docker daemon at " + host);
    }

    String describe() {
        return describe;
    }

    /** A response: status, headers (lower-case names), and the body, which the caller MUST close. */
    record Response(int status, Map<String, String> headers, InputStream body) implements AutoCloseable {
        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // closing the socket
            }
        }

        /** The daemon's error message (its JSON {@code message}), bounded; for problem details. */
        String errorMessage() {
            try (InputStream in = body) {
                String s = new String(in.readNBytes(ERROR_BODY), StandardCharsets.UTF_8);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(s);
                String msg = m.find() ? m.group(1) : s.trim();
                return msg.length() > 300 ? msg.substring(0, 300) + "..." : msg;
            } catch (IOException e) {
                return "(no readable answer)";
            }
        }
    }

    /** {@code METHOD path}, with {@code body} (a file) as the request body when not null. */
    Response call(String method, String path, String contentType, Path body) {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException | UnsupportedOperationException e) {
            throw new FerryException(ProblemType.REGISTRY_UNREACHABLE, describe + ": cannot connect (" + e.getMessage() + ")", e);
        }
        try {
            OutputStream out = Channels.newOutputStream(ch);
            StringBuilder head = new StringBuilder().append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: docker\r\nUser-Agent: ferry\r\nConnection: close\r\n");
            if (body != null) {
                head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(Files.size(body)).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                Files.copy(body, out);
            }
            out.flush();
            InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 64 * 1024);
            int status;
            Map<String, String> headers;
            do {
                String statusLine = line(in);
                String[] parts = statusLine.split(" ", 3);
                if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                    throw new IOException("not an HTTP answer");
                }
                status = Integer.parseInt(parts[1]);
                headers = new TreeMap<>();
                for (String h = line(in); !h.isEmpty(); h = line(in)) {
                    int colon = h.indexOf(':');
                    if (colon > 0) {
                        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
                    }
                }
            } while (status >= 100 && status < 200);
            InputStream content;
            if ("chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""))) {
                content = new Chunked(in);
            } else if (headers.containsKey("content-length")) {
                content = new Bounded(in, Long.parseLong(headers.get("content-length")));
            } else {
                content = in;
            }
            return new Response(status, headers, new FilterInputStream(content) {
                @Override
                public void close() throws IOException {
                    ch.close();
                }
            });
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            if (e instanceof FerryException fe) {
                throw fe;
            }
            throw new FerryException(ProblemType.REGISTRY_ERROR, describe + ": " + method + " " + path + " failed ("
                    + e.getMessage() + ")", e);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the daemon closed the connection");
            }
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            if (sb.length() > 16 * 1024) {
                throw new IOException("an answer line is too long");
            }
            sb.append((char) c);
        }
    }

    /** A body of known length. */
    private static final class Bounded extends FilterInputStream {
        private long left;

        Bounded(InputStream in, long length) {
            super(in);
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int c = super.read();
            if (c >= 0) {
                left--;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            } else if (n < 0) {
                throw new EOFException("the daemon's answer is cut short");
            }
            return n;
        }
    }

    /** A chunked body, decoded. */
    private static final class Chunked extends FilterInputStream {
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            super(in);
        }

        private boolean next() throws IOException {
            if (done) {
                return false;
            }
            if (left == 0) {
                String size = line(in);
                int semi = size.indexOf(';');
                left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (left == 0) {
                    for (String t = line(in); !t.isEmpty(); t = line(in)) {
                        // trailers: none expected
                    }
                    done = true;
                    return false;
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!next()) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("the daemon's answer is cut short");
            }
            left -= n;
            if (left == 0) {
                line(in); // CRLF after the chunk
            }
            return n;
        }
    }
}
