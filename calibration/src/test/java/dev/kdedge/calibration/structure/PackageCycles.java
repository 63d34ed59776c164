package dev.kdedge.calibration.structure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The package graph of a module's main sources, read from their {@code import}s of the project's own classes, and the
 * cycles in it (Tarjan's strongly connected components). Shared with the node's tests through the test jar.
 */
public final class PackageCycles {
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(dev\\.kdedge[\\w.]*?)\\.[A-Z]\\w*[\\w.]*;",
            Pattern.MULTILINE);

    private final Map<String, Set<String>> edges = new TreeMap<>();

    private PackageCycles() {}

    /** The graph of the sources under {@code sourceRoot} (a module's src/main/java). */
    public static PackageCycles of(Path sourceRoot) throws IOException {
        PackageCycles graph = new PackageCycles();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) {
                    continue;
                }
                Set<String> to = graph.edges.computeIfAbsent(pkg.group(1), p -> new TreeSet<>());
                Matcher imports = IMPORT.matcher(source);
                while (imports.find()) {
                    if (!imports.group(1).equals(pkg.group(1))) {
                        to.add(imports.group(1));
                    }
                }
            }
        }
        return graph;
    }

    public int packages() {
        return edges.size();
    }

    /** The project's packages {@code pkg} imports from. */
    public Set<String> importsOf(String pkg) {
        return edges.getOrDefault(pkg, Set.of());
    }

    /** Each cycle as its packages and the imports between them, e.g. "a -> b, b -> a"; empty when there is none. */
    public List<String> cycles() {
        List<String> cycles = new ArrayList<>();
        for (Set<String> component : stronglyConnected()) {
            if (component.size() > 1) {
                List<String> arrows = new ArrayList<>();
                for (String from : component) {
                    for (String to : edges.getOrDefault(from, Set.of())) {
                        if (component.contains(to)) {
                            arrows.add(from + " -> " + to);
                        }
                    }
                }
                cycles.add(String.join(", ", arrows));
            }
        }
        return cycles;
    }

    private List<Set<String>> stronglyConnected() {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<Set<String>> components = new ArrayList<>();
        for (String start : edges.keySet()) {
            if (!index.containsKey(start)) {
                visit(start, index, low, stack, onStack, components);
            }
        }
        return components;
    }

    private void visit(String node, Map<String, Integer> index, Map<String, Integer> low, Deque<String> stack,
            Set<String> onStack, List<Set<String>> components) {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        onStack.add(node);
        for (String next : edges.getOrDefault(node, Set.of())) {
            if (!index.containsKey(next)) {
                visit(next, index, low, stack, onStack, components);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (onStack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            Set<String> component = new TreeSet<>();
            String member;
            do {
                member = stack.pop();
                onStack.remove(member);
                component.add(member);
            } while (!member.equals(node));
            components.add(component);
        }
    }
}
