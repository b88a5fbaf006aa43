package dev.ferry.security;

import io.quarkus.logging.LoggingFilter;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Masks what looks like a credential in a log message (Authorization headers, bearer tokens, password=, token=,
 * creds=) before any handler writes it. Ferry itself never logs credentials; this guards messages from libraries and
 * from future mistakes. Installed on the console and file handlers ({@code quarkus.log.*.filter=ferry-secrets}).
 */
@LoggingFilter(name = "ferry-secrets")
public final class SecretMaskingFilter implements Filter {
    private static final Pattern AUTHORIZATION =
            Pattern.compile("(?i)\\b(authorization|proxy-authorization)([\"']?\\s*[:=]\\s*[\"']?)(?:(basic|bearer)\\s+)?[^\\s\"',;]+");
    private static final Pattern BEARER = Pattern.compile("(?i)\\b(bearer)\\s+[A-Za-z0-9._~+/=-]{8,}");
    private static final Pattern NAMED = Pattern.compile(
            "(?i)\\b(password|passwd|secret|token|access_token|refresh_token|id_token|creds|srcCreds|destCreds|registryToken"
                    + "|srcRegistryToken|destRegistryToken|client_secret)([\"']?\\s*[:=]\\s*[\"']?)[^\\s\"',;&}]+");

    static String mask(String message) {
        if (message == null) {
            return null;
        }
        String m = AUTHORIZATION.matcher(message).replaceAll(r -> java.util.regex.Matcher.quoteReplacement(
                r.group(1) + r.group(2) + (r.group(3) == null ? "" : r.group(3) + " ") + "***"));
        m = BEARER.matcher(m).replaceAll("$1 ***");
        return NAMED.matcher(m).replaceAll("$1$2***");
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (record instanceof ExtLogRecord ext) {
            String message = ext.getFormattedMessage();
            String masked = mask(message);
            if (masked != null && !masked.equals(message)) {
                ext.setMessage(masked, ExtLogRecord.FormatStyle.NO_FORMAT);
                ext.setParameters(null);
            }
        }
        return true;
    }
}
