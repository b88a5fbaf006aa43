package dev.ferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ListTagsTest {

    @Test
    void listTags120() {
        RegistryProcess reg = SharedRegistries.get().anonymous();
        TestImages.Image img = new TestImages(7).ociImage(1, 256);
        RegistryPusher pusher = new RegistryPusher(reg.baseUrl());
        pusher.push("listtags/many", "t000", img);
        Set<String> expected = new TreeSet<>();
        expected.add("t000");
        for (int i = 1; i < 120; i++) {
            String tag = String.format("t%03d", i);
            pusher.tag("listtags/many", tag, img);
            expected.add(tag);
        }
        JsonNode out = Skopeo.listTags(reg.hostPort() + "/listtags/many");
        List<String> tags = new ArrayList<>();
        out.path("Tags").forEach(t -> tags.add(t.asText()));
        assertEquals(120, tags.size());
        assertEquals(expected, new TreeSet<>(tags));
        assertEquals(reg.hostPort() + "/listtags/many", out.path("Repository").asText());
    }

    @Test
    void listTagsWithTokenAuth() {
        SharedRegistries s = SharedRegistries.get();
        RegistryProcess reg = s.token();
        TestImages.Image img = new TestImages(8).dockerImage(1, 256);
        RegistryPusher pusher = new RegistryPusher(reg.baseUrl()).withBasic(s.user(), s.password());
        pusher.push("listtags/token", "a", img);
        pusher.tag("listtags/token", "b", img);
        JsonNode out = Skopeo.listTags(reg.hostPort() + "/listtags/token", "--creds", s.creds());
        Set<String> tags = new TreeSet<>();
        out.path("Tags").forEach(t -> tags.add(t.asText()));
        assertEquals(Set.of("a", "b"), tags);
    }
}
