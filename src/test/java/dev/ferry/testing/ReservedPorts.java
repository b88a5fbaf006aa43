package dev.ferry.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A loopback port picked now for a server that starts later (Ferry itself, when a registry's notifications must name
 * Ferry's URL before Ferry runs). {@code new ServerSocket(0)} hands out a port from the kernel's ephemeral range, and
 * in the minutes before the server binds it, any outgoing connection of the suite may take that very port as its
 * local port: Quarkus then fails with "Port already bound" (seen once under load, after a test that opens thousands of
 * connections). Ports below the ephemeral range are never given to outgoing connections nor to other
 * {@code ServerSocket(0)} callers.
 */
public final class ReservedPorts {
    private static final int LOWEST = 10_000;

    private ReservedPorts() {
    }

    /** A port below the ephemeral range that is free now, chosen at random so that parallel JVMs rarely meet. */
    public static int belowEphemeralRange() {
        int ceiling = ephemeralLow() - 1;
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, ceiling + 1);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no free loopback port between " + LOWEST + " and " + ceiling);
    }

    /** The first port of the kernel's ephemeral range (ip_local_port_range), 32768 when it cannot be read. */
    static int ephemeralLow() {
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            int low = Integer.parseInt(range[0]);
            return low > LOWEST + 1000 ? low : 32768;
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }
}
