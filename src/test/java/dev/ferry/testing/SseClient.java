package dev.ferry.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A server-sent-events client following the WHATWG parsing rules (event, id, data fields; blank line
 * dispatches; comments ignored), reading until the server ends the stream.
 */
public final class SseClient {

    public record Event(String event, String id, String data) {
    }

    public record Stream(int status, String contentType, List<Event> events) {
    }

    private SseClient() {
    }

    /** Reads the whole stream (it must end within {@code timeout}). */
    public static Stream read(String url, String lastEventId, Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            req.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<java.io.InputStream> resp = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        List<Event> events = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            String event = null;
            String id = null;
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(event == null ? "message" : event, id, data.toString()));
                    }
                    event = null;
                    data = null;
                    continue;
                }
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "event" -> event = value;
                    case "id" -> id = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> { }
                }
            }
        }
        return new Stream(resp.statusCode(), resp.headers().firstValue("Content-Type").orElse(""), events);
    }
}
