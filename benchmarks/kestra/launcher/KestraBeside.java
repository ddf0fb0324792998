// Kestra OSS 1.0.x run from its Maven Central modules, for Harrier's benchmarks.
//
// Maven Central carries Kestra's core, executor, worker, scheduler and JDBC modules but not
// its `cli` (the `server standalone` command) nor its `webserver` (REST API). This launcher
// stands in for both, as little as possible: it starts Kestra's own executor, worker,
// scheduler and indexer beans against H2, and answers the few REST calls the harness makes,
// with Kestra's paths and JSON:
//   GET  /ping
//   PUT  /api/v1/main/flows/{namespace}/{id}        (YAML body; creates or updates)
//   POST /api/v1/main/flows                          (YAML body)
//   POST /api/v1/main/executions/{namespace}/{id}   (?wait=true answers at the terminal state;
//                                                     inputs are the flow's defaults; ?labels=k:v)
//   GET  /api/v1/main/executions/{id}
// Usage: java -cp 'libs/*:classes' KestraBeside <port> <worker threads>
//        with -Dmicronaut.config.files=application.yml
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kestra.core.models.Label;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.flows.Flow;
import io.kestra.core.models.flows.GenericFlow;
import io.kestra.core.queues.QueueFactoryInterface;
import io.kestra.core.queues.QueueInterface;
import io.kestra.core.repositories.ExecutionRepositoryInterface;
import io.kestra.core.repositories.FlowRepositoryInterface;
import io.kestra.core.runners.ExecutorInterface;
import io.kestra.core.runners.FlowInputOutput;
import io.kestra.core.runners.Indexer;
import io.kestra.core.runners.Scheduler;
import io.kestra.core.serializers.JacksonMapper;
import io.kestra.core.utils.IdUtils;
import io.kestra.worker.DefaultWorker;
import io.micronaut.context.ApplicationContext;
import io.micronaut.inject.qualifiers.Qualifiers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

public final class KestraBeside {
    private static final String TENANT = "main";
    private static final String API = "/api/v1/" + TENANT;

    private final FlowRepositoryInterface flows;
    private final ExecutionRepositoryInterface executions;
    private final QueueInterface<Execution> executionQueue;
    private final FlowInputOutput flowInputOutput;
    // One queue subscription completes every waiting request, instead of one poller per request.
    private final Map<String, CompletableFuture<Execution>> waiting = new ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    private KestraBeside(ApplicationContext context) {
        this.flows = context.getBean(FlowRepositoryInterface.class);
        this.executions = context.getBean(ExecutionRepositoryInterface.class);
        this.executionQueue = context.getBean(QueueInterface.class, Qualifiers.byName(QueueFactoryInterface.EXECUTION_NAMED));
        this.flowInputOutput = context.getBean(FlowInputOutput.class);
        this.executionQueue.receive(either -> {
            if (either.isLeft()) {
                Execution execution = either.getLeft();
                if (execution.getState().isTerminated()) {
                    CompletableFuture<Execution> future = waiting.remove(execution.getId());
                    if (future != null) {
                        future.complete(execution);
                    }
                }
            }
        });
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int workerThreads = Integer.parseInt(args[1]);
        ApplicationContext context = ApplicationContext.builder().deduceEnvironment(false).start();
        ExecutorService services = Executors.newCachedThreadPool();
        services.execute(context.getBean(ExecutorInterface.class));
        services.execute(context.createBean(DefaultWorker.class, IdUtils.create(), workerThreads, null));
        services.execute(context.getBean(Scheduler.class));
        services.execute(context.getBean(Indexer.class));
        KestraBeside api = new KestraBeside(context);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", api::handle);
        server.start();
        System.out.println("kestra-beside ready on 127.0.0.1:" + port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            services.shutdownNow();
            context.close();
        }));
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String method = exchange.getRequestMethod();
            String[] path = exchange.getRequestURI().getPath().split("/");
            String route = String.join("/", List.of(path).subList(0, Math.min(path.length, 5)));
            if (method.equals("GET") && exchange.getRequestURI().getPath().equals("/ping")) {
                reply(exchange, 200, "pong");
            } else if (route.equals(API + "/flows") && (method.equals("PUT") || method.equals("POST"))) {
                reply(exchange, 200, deploy(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            } else if (route.equals(API + "/executions") && method.equals("POST") && path.length == 7) {
                Execution execution = start(path[5], path[6], query(exchange, "labels"));
                if ("true".equals(query(exchange, "wait"))) {
                    execution = waitFor(execution);
                }
                reply(exchange, 200, JacksonMapper.ofJson().writeValueAsString(execution));
            } else if (route.equals(API + "/executions") && method.equals("GET") && path.length == 6) {
                Optional<Execution> found = executions.findById(TENANT, path[5]);
                reply(exchange, found.isPresent() ? 200 : 404,
                    found.isPresent() ? JacksonMapper.ofJson().writeValueAsString(found.get()) : "{\"message\":\"not found\"}");
            } else {
                reply(exchange, 404, "{\"message\":\"no route " + method + " " + exchange.getRequestURI().getPath() + "\"}");
            }
        } catch (Exception e) {
            String message = String.valueOf(e.getMessage()).replace("\"", "'").replace("\n", " ");
            reply(exchange, 500, "{\"message\":\"" + e.getClass().getSimpleName() + ": " + message + "\"}");
        } finally {
            exchange.close();
        }
    }

    private String deploy(String source) throws Exception {
        GenericFlow flow = GenericFlow.fromYaml(TENANT, source);
        Optional<Flow> existing = flows.findById(TENANT, flow.getNamespace(), flow.getId());
        Object saved = existing.isPresent() ? flows.update(flow, existing.get()) : flows.create(flow);
        return JacksonMapper.ofJson().writeValueAsString(saved);
    }

    private Execution start(String namespace, String flowId, String labels) throws Exception {
        Flow flow = flows.findById(TENANT, namespace, flowId)
            .orElseThrow(() -> new IllegalArgumentException("no flow " + namespace + "." + flowId));
        List<Label> tags = new ArrayList<>();
        if (labels != null && labels.contains(":")) {
            tags.add(new Label(labels.substring(0, labels.indexOf(':')), labels.substring(labels.indexOf(':') + 1)));
        }
        Execution execution = Execution.newExecution(
            flow, (f, e) -> flowInputOutput.readExecutionInputs(f, e, Map.of()), tags, Optional.empty());
        waiting.put(execution.getId(), new CompletableFuture<>());
        executionQueue.emit(execution);
        return execution;
    }

    // The queue subscription answers almost always; under load a broadcast read can skip an
    // update, so every second the repository (which the executor keeps current) is asked too.
    private Execution waitFor(Execution execution) throws Exception {
        CompletableFuture<Execution> future = waiting.get(execution.getId());
        try {
            for (int second = 0; future != null && second < 600; second++) {
                try {
                    return future.get(1, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    Optional<Execution> stored = executions.findById(TENANT, execution.getId());
                    if (stored.isPresent() && stored.get().getState().isTerminated()) {
                        return stored.get();
                    }
                }
            }
            throw new TimeoutException("execution " + execution.getId() + " not terminated after 600s");
        } finally {
            waiting.remove(execution.getId());
        }
    }

    private static String query(HttpExchange exchange, String name) {
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) {
            return null;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
