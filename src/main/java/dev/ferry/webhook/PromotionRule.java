package dev.ferry.webhook;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One rule of a hook: which pushed tags it promotes ({@code registry/repository} glob and tag regex) and
 * where to ({@code destination} template). Pure: no I/O.
 */
public record PromotionRule(String source, String tagRegex, String destination, boolean srcTlsVerify,
                            boolean destTlsVerify, Pattern sourcePattern, Pattern tagPattern) {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");
    private static final java.util.Set<String> PLACEHOLDERS = java.util.Set.of("registry", "repository", "name", "tag", "digest");

    /** Compiles and checks a configured rule; throws IllegalArgumentException naming what is wrong. */
    public static PromotionRule of(String source, String tagRegex, String destination, boolean srcTlsVerify, boolean destTlsVerify) {
        if (source.isBlank() || !source.contains("/")) {
            throw new IllegalArgumentException("source must be a registry/repository glob such as staging.example.com/team/*");
        }
        Pattern tags;
        try {
            tags = Pattern.compile(tagRegex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("tag-regex is not a valid regular expression: " + e.getDescription());
        }
        Matcher m = PLACEHOLDER.matcher(destination);
        while (m.find()) {
            if (!PLACEHOLDERS.contains(m.group(1))) {
                throw new IllegalArgumentException("destination has an unknown placeholder {" + m.group(1) + "}; known: " + PLACEHOLDERS);
            }
        }
        return new PromotionRule(source, tagRegex, destination, srcTlsVerify, destTlsVerify, glob(source), tags);
    }

    public boolean matches(String registry, String repository, String tag) {
        return sourcePattern.matcher(registry + "/" + repository).matches() && tagPattern.matcher(tag).matches();
    }

    /** The destination with its placeholders filled in from the pushed tag (no other braces are touched). */
    public String destinationFor(String registry, PushedTag pushed) {
        String repo = pushed.repository();
        Map<String, String> values = Map.of("registry", registry, "repository", repo,
                "name", repo.substring(repo.lastIndexOf('/') + 1), "tag", pushed.tag(), "digest", pushed.digest());
        return PLACEHOLDER.matcher(destination).replaceAll(r -> Matcher.quoteReplacement(values.get(r.group(1))));
    }

    /** {@code *} matches any run of characters ('/' included); everything else is literal. */
    static Pattern glob(String glob) {
        String[] parts = glob.split("\\*", -1);
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                re.append(".*");
            }
            re.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(re.toString());
    }
}
