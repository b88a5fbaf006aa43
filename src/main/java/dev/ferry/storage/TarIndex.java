package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each regular file of a tar archive lies (offset and size of its content), found by reading the headers
 * only (the contents are skipped). Blocking: run it on a worker. Entry names are normalised ({@code ./x} is
 * {@code x}); a name that is absolute or contains {@code ..} makes the archive invalid, as it would let an
 * extracting reader write outside its directory.
 */
final class TarIndex {
    record Entry(String name, long offset, long size) {
    }

    private TarIndex() {
    }

    static Map<String, Entry> scan(Path file, String what) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            long pos = 0;
            byte[] h = new byte[512];
            String longName = null;
            while (pos + 512 <= length) {
                f.seek(pos);
                f.readFully(h);
                if (isZero(h)) {
                    break;
                }
                TarHeader header = TarHeader.parse(h, what);
                long content = pos + 512;
                long next = content + ((header.size() + 511) / 512) * 512;
                if (next > length) {
                    throw invalid(what, "entry " + header.name() + " is cut short");
                }
                if (header.type() == 'L') { // GNU long name: the next entry's name is this entry's content
                    byte[] n = new byte[(int) Math.min(header.size(), 4096)];
                    f.seek(content);
                    f.readFully(n);
                    longName = TarHeader.cString(n, 0, n.length);
                } else {
                    String name = TarHeader.safeName(longName != null ? longName : header.name(), what);
                    longName = null;
                    if (header.isRegularFile()) {
                        entries.put(name, new Entry(name, content, header.size()));
                    }
                }
                pos = next;
            }
        } catch (IOException e) {
            throw invalid(what, "it cannot be read as a tar archive");
        }
        return entries;
    }

    private static boolean isZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    static FerryException invalid(String what, String why) {
        return new FerryException(ProblemType.INVALID_ARCHIVE, what + ": " + why);
    }

    /** One parsed ustar / GNU header. */
    record TarHeader(String name, long size, char type) {
        boolean isRegularFile() {
            return type == '0' || type == '\0' || type == '7';
        }

        static TarHeader parse(byte[] h, String what) {
            long sum = 0;
            for (int i = 0; i < 512; i++) {
                sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
            }
            long stored = octal(h, 148, 8, what);
            if (stored != sum) {
                throw invalid(what, "a tar header has a bad checksum");
            }
            String name = cString(h, 0, 100);
            boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
            if (ustar) {
                String prefix = cString(h, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            long size;
            if ((h[124] & 0x80) != 0) {
                size = 0;
                for (int i = 125; i < 136; i++) {
                    size = (size << 8) | (h[i] & 0xff);
                }
            } else {
                size = octal(h, 124, 12, what);
            }
            if (size < 0) {
                throw invalid(what, "a tar header has a negative size");
            }
            return new TarHeader(name, size, (char) h[156]);
        }

        static String cString(byte[] b, int off, int len) {
            int end = off;
            while (end < off + len && b[end] != 0) {
                end++;
            }
            return new String(b, off, end - off, StandardCharsets.UTF_8);
        }

        static long octal(byte[] h, int off, int len, String what) {
            String s = cString(h, off, len).trim();
            if (s.isEmpty()) {
                return 0;
            }
            try {
                return Long.parseLong(s, 8);
            } catch (NumberFormatException e) {
                throw invalid(what, "a tar header has an invalid number");
            }
        }

        /** {@code ./a/b} → {@code a/b}; absolute names and {@code ..} are refused. */
        static String safeName(String name, String what) {
            String n = name;
            while (n.startsWith("./")) {
                n = n.substring(2);
            }
            if (n.startsWith("/") || n.equals("..") || n.startsWith("../") || n.contains("/../") || n.endsWith("/..")
                    || n.indexOf('\0') >= 0 || n.contains("\\")) {
                throw new FerryException(ProblemType.PATH_NOT_ALLOWED, what + ": the tar entry " + abbreviate(name)
                        + " points outside the archive (absolute or with ..)");
            }
            return n;
        }

        private static String abbreviate(String s) {
            return s.length() <= 120 ? s : s.substring(0, 100) + "...";
        }
    }
}
