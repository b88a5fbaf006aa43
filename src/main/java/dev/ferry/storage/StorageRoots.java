package dev.ferry.storage;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The directories server-side image paths must stay inside ({@code ferry.storage.roots}). Every path a request
 * names goes through {@link #confine}: {@code ..} is refused outright, the path is made absolute (a relative one
 * inside the first root), its deepest existing ancestor is resolved with symlinks followed, and the result must be
 * inside a root's real path. Nothing is created, opened or stat'ed outside the roots: refusals happen before any
 * file access beyond resolving what already exists inside the lexical path.
 * <p>
 * Files inside a confined directory are opened by the transports without following symlinks where it matters
 * (an existing target that is a symlink is resolved and checked here too).
 */
@ApplicationScoped
public class StorageRoots {
    private final List<Path> roots;

    @jakarta.inject.Inject
    public StorageRoots(FerryConfig config) {
        this(config.storage().roots().orElse(List.of()));
    }

    StorageRoots(List<String> configured) {
        List<Path> real = new ArrayList<>();
        for (String r : configured) {
            if (r == null || r.isBlank()) {
                continue;
            }
            Path p = Path.of(r.trim()).toAbsolutePath().normalize();
            try {
                Files.createDirectories(p);
                real.add(p.toRealPath());
            } catch (IOException e) {
                throw new IllegalStateException("ferry.storage.roots: cannot use " + p + ": " + e.getMessage(), e);
            }
        }
        this.roots = List.copyOf(real);
    }

    public boolean enabled() {
        return !roots.isEmpty();
    }

    public List<Path> roots() {
        return roots;
    }

    /**
     * The real, absolute path for {@code path} as written by the caller in {@code field}, checked to lie inside a
     * root. The path itself need not exist (a destination); what exists of it is resolved, symlinks included.
     */
    public Path confine(String field, String transport, String path) {
        if (roots.isEmpty()) {
            throw new FerryException(ProblemType.STORAGE_DISABLED, field + ": the " + transport
                    + ": transport reads and writes files on the server, and no storage root is configured"
                    + " (set FERRY_STORAGE_ROOTS, comma-separated directories); use docker:// or /api/v1/export and /api/v1/import",
                    List.of(new FerryException.FieldError(field, "server-side paths are not enabled")), null);
        }
        Path lexical;
        try {
            Path given = Path.of(path);
            for (Path part : given) {
                if (part.toString().equals("..")) {
                    throw refused(field, path, "'..' is not allowed in a path");
                }
            }
            lexical = (given.isAbsolute() ? given : roots.get(0).resolve(given)).normalize();
        } catch (InvalidPathException e) {
            throw refused(field, path, "not a valid path");
        }
        Path root = rootOf(lexical);
        if (root == null) {
            throw refused(field, path, "it is outside the storage roots");
        }
        Path resolved = resolveExisting(lexical, field, path);
        if (rootOf(resolved) == null) {
            throw refused(field, path, "it resolves (through a symbolic link) to a place outside the storage roots");
        }
        if (resolved.equals(rootOf(resolved))) {
            throw refused(field, path, "a storage root itself cannot be an image; name a directory or file inside it");
        }
        return resolved;
    }

    /** Checks a path found inside a confined location (a layout's blob, say) before it is opened. */
    public Path within(Path confinedBase, Path candidate, String what) {
        Path normal = candidate.normalize();
        if (!normal.startsWith(confinedBase)) {
            throw new FerryException(ProblemType.PATH_NOT_ALLOWED, what + " points outside its directory");
        }
        if (Files.isSymbolicLink(normal)) {
            Path real;
            try {
                real = normal.toRealPath();
            } catch (IOException e) {
                throw new FerryException(ProblemType.PATH_NOT_ALLOWED, what + " is a dangling symbolic link");
            }
            if (rootOf(real) == null) {
                throw new FerryException(ProblemType.PATH_NOT_ALLOWED, what + " is a symbolic link out of the storage roots");
            }
        }
        return normal;
    }

    private Path rootOf(Path p) {
        for (Path r : roots) {
            if (p.startsWith(r)) {
                return r;
            }
        }
        return null;
    }

    /** The real path of the deepest existing ancestor (the path itself if it exists), with the rest appended. */
    private static Path resolveExisting(Path lexical, String field, String path) {
        Path existing = lexical;
        Path rest = null;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            Path name = existing.getFileName();
            rest = rest == null ? name : name.resolve(rest);
            existing = existing.getParent();
        }
        if (existing == null) {
            return lexical;
        }
        try {
            Path real = existing.toRealPath();
            return rest == null ? real : real.resolve(rest);
        } catch (IOException e) {
            throw refused(field, path, "a symbolic link in it cannot be resolved");
        }
    }

    private static FerryException refused(String field, String path, String why) {
        String detail = field + ": the path " + abbreviate(path) + " is not allowed: " + why;
        return new FerryException(ProblemType.PATH_NOT_ALLOWED, detail, List.of(new FerryException.FieldError(field, why)), null);
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 100) + "...";
    }
}
