package dev.ferry.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/kubernetes renders with {@code kubectl kustomize} and every object reads into the fabric8 Kubernetes model
 * with no field left over (a misspelt or misplaced field fails), then the properties a safe Ferry deployment needs.
 */
class KubernetesManifestsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .build();
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Service", Service.class,
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
            "apps/v1/Deployment", Deployment.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class,
            "monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class);

    @ParameterizedTest
    @ValueSource(strings = {"single", "ha"})
    void shouldRenderAndValidate(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        Deployment deployment = one(objects, Deployment.class);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container ferry = pod.getContainers().get(0);

        // non-root, read-only root filesystem, no privilege escalation, no capabilities, no API token
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        assertTrue(pod.getSecurityContext().getRunAsUser() > 0);
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertEquals(Boolean.TRUE, ferry.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(Boolean.FALSE, ferry.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), ferry.getSecurityContext().getCapabilities().getDrop());
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());

        // probes on Ferry's health endpoints, by a port the container declares; resources set
        Set<String> ports = Set.copyOf(ferry.getPorts().stream().map(p -> p.getName()).toList());
        for (Probe p : List.of(ferry.getStartupProbe(), ferry.getReadinessProbe(), ferry.getLivenessProbe())) {
            assertNotNull(p);
            assertTrue(p.getHttpGet().getPath().startsWith("/q/health/"));
            assertTrue(ports.contains(p.getHttpGet().getPort().getStrVal()), "probe port " + p.getHttpGet().getPort());
        }
        assertNotNull(ferry.getResources().getRequests().get("cpu"));
        assertNotNull(ferry.getResources().getRequests().get("memory"));
        assertNotNull(ferry.getResources().getLimits().get("memory"));

        // the writable places are volumes: /data and /tmp; every mount names a volume
        Map<String, Volume> volumes = new java.util.HashMap<>();
        pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
        ferry.getVolumeMounts().forEach(m -> assertTrue(volumes.containsKey(m.getName()), "mount " + m.getName()));
        assertTrue(ferry.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/data")));
        assertTrue(ferry.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")));

        // no secret as a literal: passwords come from files or secretKeyRef
        for (EnvVar e : ferry.getEnv()) {
            if (e.getName().matches(".*(PASSWORD|SECRET|TOKEN)$")) {
                assertTrue(e.getValue() == null, e.getName() + " must come from a Secret");
            }
        }
        ConfigMap config = one(objects, ConfigMap.class);
        ferry.getEnvFrom().forEach(f -> assertEquals(config.getMetadata().getName(), f.getConfigMapRef().getName()));
        config.getData().keySet().forEach(k -> assertFalse(k.matches(".*(PASSWORD|SECRET)$"), k + " in a ConfigMap"));

        // the Service reaches these pods on a declared port; the ServiceMonitor reaches the Service
        Service service = one(objects, Service.class);
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(service.getSpec().getSelector().entrySet()), "Service selects the pods");
        assertTrue(podLabels.entrySet().containsAll(deployment.getSpec().getSelector().getMatchLabels().entrySet()));
        assertTrue(ports.contains(service.getSpec().getPorts().get(0).getTargetPort().getStrVal()));
        ServiceMonitor monitor = one(objects, ServiceMonitor.class);
        assertTrue(service.getMetadata().getLabels().entrySet().containsAll(monitor.getSpec().getSelector().getMatchLabels().entrySet()));
        assertEquals("/q/metrics", monitor.getSpec().getEndpoints().get(0).getPath());
        assertEquals(service.getSpec().getPorts().get(0).getName(), monitor.getSpec().getEndpoints().get(0).getPort());

        PodDisruptionBudget pdb = one(objects, PodDisruptionBudget.class);
        assertTrue(podLabels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
        List<NetworkPolicy> policies = all(objects, NetworkPolicy.class);
        assertFalse(policies.isEmpty());
        for (NetworkPolicy np : policies) {
            assertTrue(podLabels.entrySet().containsAll(np.getSpec().getPodSelector().getMatchLabels().entrySet()));
        }
        NetworkPolicy main = policies.stream().filter(np -> np.getMetadata().getName().equals("ferry")).findFirst().orElseThrow();
        assertTrue(main.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress")));
        // egress peers other than Ferry's own pods keep their own selectors (DNS, PostgreSQL)
        policies.stream().flatMap(np -> np.getSpec().getEgress().stream()).flatMap(r -> r.getTo().stream())
                .filter(peer -> peer.getPodSelector() != null)
                .forEach(peer -> assertFalse(peer.getPodSelector().getMatchLabels().containsValue("ferry"),
                        "an egress peer selects Ferry's labels: " + peer.getPodSelector().getMatchLabels()));
        assertTrue(main.getSpec().getEgress().stream().flatMap(r -> r.getTo().stream())
                .anyMatch(peer -> peer.getPodSelector() != null
                        && Map.of("k8s-app", "kube-dns").equals(peer.getPodSelector().getMatchLabels())), "DNS allowed");
        assertTrue(main.getSpec().getEgress().stream().flatMap(r -> r.getTo().stream())
                .filter(p -> p.getIpBlock() != null).allMatch(p -> p.getIpBlock().getExcept() != null
                        && !p.getIpBlock().getExcept().isEmpty()), "cloud metadata stays unreachable");

        if (overlay.equals("single")) {
            assertEquals(1, deployment.getSpec().getReplicas());
            assertEquals("Recreate", deployment.getSpec().getStrategy().getType());
            Volume data = volumes.get("data");
            assertTrue(data.getEmptyDir() == null && data.getPersistentVolumeClaim() != null, "data on a PVC");
            PersistentVolumeClaim pvc = one(objects, PersistentVolumeClaim.class);
            assertEquals(pvc.getMetadata().getName(), data.getPersistentVolumeClaim().getClaimName());
        } else {
            assertTrue(deployment.getSpec().getReplicas() >= 2);
            Map<String, EnvVar> env = new java.util.HashMap<>();
            ferry.getEnv().forEach(e -> env.put(e.getName(), e));
            assertEquals("postgresql", env.get("FERRY_STORE").getValue());
            assertTrue(env.get("FERRY_STORE_JDBC_URL").getValue().startsWith("jdbc:postgresql://"));
            assertEquals("ferry-db", env.get("FERRY_STORE_USERNAME").getValueFrom().getSecretKeyRef().getName());
            String passwordFile = env.get("FERRY_STORE_PASSWORD_FILE").getValue();
            assertTrue(ferry.getVolumeMounts().stream().anyMatch(m -> passwordFile.startsWith(m.getMountPath() + "/")
                    && volumes.get(m.getName()).getSecret() != null), "the password file is a mounted Secret");
            assertTrue(all(objects, PersistentVolumeClaim.class).isEmpty(), "no shared volume: the store is PostgreSQL");
            assertTrue(policies.stream().anyMatch(np -> np.getSpec().getEgress().stream()
                    .anyMatch(r -> r.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == 5432))));
        }
    }

    private static List<HasMetadata> render(String overlay) throws IOException, InterruptedException {
        Path dir = Path.of("deploy", "kubernetes", "overlays", overlay);
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", dir.toString())
                    .redirectError(Path.of("target", "kustomize-" + overlay + ".err").toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("kubectl is needed to render deploy/kubernetes (deploy/test.sh installs it)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + ":\n" + out
                + java.nio.file.Files.readString(Path.of("target", "kustomize-" + overlay + ".err")));
        List<HasMetadata> objects = new ArrayList<>();
        for (JsonNode doc : YAML.readerFor(JsonNode.class).readValues(out).readAll().stream().map(JsonNode.class::cast).toList()) {
            String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
            Class<? extends HasMetadata> type = KINDS.get(key);
            if (type == null) {
                fail("no schema for " + key + " (add it to KINDS)");
            }
            HasMetadata o = STRICT.treeToValue(doc, type);
            List<String> leftovers = new ArrayList<>();
            unknownFields(o, key + " " + doc.path("metadata").path("name").asText(), leftovers, new IdentityHashMap<>());
            assertTrue(leftovers.isEmpty(), "fields the schema does not have: " + leftovers);
            String written = STRICT.writeValueAsString(doc);
            String readBack = STRICT.writeValueAsString(o);
            assertEquals(STRICT.readTree(written), STRICT.readTree(readBack),
                    key + " reads back as written (no field dropped or mistyped)");
            objects.add(o);
        }
        return objects;
    }

    /** Fields the model did not recognise end up in additionalProperties: find every non-empty one. */
    private static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), path + "[" + i + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v;
            try {
                v = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
                continue;
            }
            unknownFields(v, path + "." + m.getName().substring(3), out, seen);
        }
    }

    private static <T> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = all(objects, type);
        assertEquals(1, found.size(), "one " + type.getSimpleName());
        return found.get(0);
    }

    private static <T> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
