/*
 * LeakApp: leaks PostgreSQL connections through a real Java connection pool on an error path,
 * so that the pool writes its own leak report to a log file.
 *
 * It replays the incident PoolScope was written for: a web shop's order code checks a
 * connection out, opens a transaction, locks and updates a stock row, and then the payment is
 * declined. The exception escapes before commit and close, the controller logs it and serves the
 * next request, and the connection stays checked out with its session "idle in transaction".
 *
 *   java -Dleakapp.log=LOGFILE -cp CLASSES:JARS LeakApp POOL JDBC_URL USER LEAKS HOLD_SECONDS
 *
 * POOL is hikari, c3p0, dbcp2 or tomcat; the class path must hold that pool's jars and those of
 * its logging (run-leakapp.sh picks them). The password, if the server asks for one, is taken
 * from PGPASSWORD. Each pool logs in a different real format:
 *
 *   hikari  HikariCP 2.7  -> SLF4J -> Logback, "%d{yyyy-MM-dd HH:mm:ss.SSS} [%thread] ..."
 *   c3p0    c3p0 0.9.1    -> its MLog -> Log4j 1.2 API (log4j-1.2-api) -> Log4j 2, "%d{ISO8601} ..."
 *   tomcat  Tomcat JDBC 9 -> JULI -> java.util.logging, the default two-line SimpleFormatter
 *   dbcp2   DBCP 2.9      -> Commons Logging -> java.util.logging with Tomcat's OneLineFormatter,
 *                            and the abandoned-connection report printed by DBCP itself into the
 *                            same file, as it lands in catalina.out
 *
 * The leaks come 1.5 s apart, so the first one may be reported before the last one is made.
 * stdout carries exactly one line, "READY <pid> <pid> ...", printed as soon as the leaks are
 * done: the backend pids (pg_backend_pid()) of the leaked connections, in order of the orders.
 * Then normal, correctly returned checkouts go on while the program waits HOLD_SECONDS for the
 * pool to report, and it exits.
 */

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import java.util.stream.Collectors;
import javax.sql.DataSource;

public final class LeakApp {

    private static final String USAGE =
            "usage: java -Dleakapp.log=LOGFILE -cp ... LeakApp hikari|c3p0|dbcp2|tomcat"
            + " JDBC_URL USER LEAKS HOLD_SECONDS";

    /** Orders of the leaking requests are numbered from here, the good ones from 2001. */
    private static final long FIRST_LEAKED_ORDER = 1001;
    private static final long FIRST_GOOD_ORDER = 2001;
    private static final int GOOD_ORDERS = 3;
    /**
     * Time between two leaks: more than a second, so that each leak's checkout falls in its own
     * second (the resolution of DBCP's and java.util.logging's timestamps) and a report can be
     * matched to its session by time.
     */
    private static final long LEAK_SPACING_MILLIS = 1500;
    /** The declined test card; any other card is charged. */
    static final String DECLINED_CARD = "4000-0000-0000-0002";
    private static final String GOOD_CARD = "4242-4242-4242-4242";

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            fail(USAGE);
        }
        String logProperty = System.getProperty("leakapp.log");
        if (logProperty == null || logProperty.isEmpty()) {
            fail("LeakApp: -Dleakapp.log=LOGFILE is required\n" + USAGE);
        }
        LeakPool pool = LeakPool.named(args[0]);
        if (pool == null) {
            fail("LeakApp: unknown pool '" + args[0] + "'\n" + USAGE);
        }
        String jdbcUrl = withApplicationName(args[1], "leakapp-" + args[0]);
        String user = args[2];
        int leaks = parseCount(args[3], "LEAKS", 1);
        int holdSeconds = parseCount(args[4], "HOLD_SECONDS", 0);

        Path logFile = Paths.get(logProperty).toAbsolutePath();
        if (logFile.getParent() != null) {
            Files.createDirectories(logFile.getParent());
        }
        pool.configureLogging(logFile);
        AppLog log = pool.logger(LeakApp.class.getName());
        log.info("starting: pool " + args[0] + ", " + leaks + " leak(s), hold " + holdSeconds
                + " s, " + jdbcUrl);

        DataSource dataSource = pool.open(jdbcUrl, user, System.getenv("PGPASSWORD"), leaks + 3);
        String table = "leakapp_stock_" + args[0];
        OrderRepository repository = new OrderRepository(dataSource, table);
        repository.createSchema(leaks + GOOD_ORDERS);

        OpenTransactions open = new OpenTransactions();
        OrderService service = new OrderService(repository, new PaymentGateway(pool), open, pool);
        OrderController controller = new OrderController(service, pool);
        ExecutorService worker1 = Executors.newSingleThreadExecutor(named("http-worker-1"));
        ExecutorService worker2 = Executors.newSingleThreadExecutor(named("http-worker-2"));
        ExecutorService worker3 = Executors.newSingleThreadExecutor(named("http-worker-3"));
        ScheduledExecutorService reports =
                Executors.newSingleThreadScheduledExecutor(named("report-scheduler-1"));
        ScheduledExecutorService timeouts =
                Executors.newSingleThreadScheduledExecutor(named("request-timeout"));

        Map<Long, Reservation> leaked = leak(leaks, controller, open, worker1, worker2);
        if (leaked.size() != leaks) {
            fail("LeakApp: " + leaked.size() + " of " + leaks + " connections leaked; see "
                    + logFile, 1);
        }
        System.out.println("READY " + leaked.values().stream()
                .map(r -> Integer.toString(r.backendPid()))
                .collect(Collectors.joining(" ")));
        System.out.flush();

        // A pool that only reports (and does not close) gets its first leak back late, from the
        // request-timeout handler, so that it can say that the leak it reported was returned.
        long lateReturnSeconds = pool.lateReturnSeconds();
        if (lateReturnSeconds > 0) {
            Reservation first = leaked.values().iterator().next();
            long delay = first.checkedOutAtMillis() + lateReturnSeconds * 1000
                    - System.currentTimeMillis();
            timeouts.schedule(() -> service.abandon(first.orderId(), lateReturnSeconds),
                    Math.max(0, delay), TimeUnit.MILLISECONDS);
        }

        // Normal traffic: good orders on http-worker-3 and a stock report every second.
        reports.scheduleWithFixedDelay(new StockReportJob(repository, pool), 500, 1000,
                TimeUnit.MILLISECONDS);
        for (int i = 0; i < GOOD_ORDERS; i++) {
            Order order = new Order(FIRST_GOOD_ORDER + i, "SKU-" + (leaks + i + 1), 2, GOOD_CARD);
            worker3.submit(() -> controller.handle(order));
            worker3.submit(LeakApp::thinkTime);
        }

        TimeUnit.SECONDS.sleep(holdSeconds);

        log.info("hold of " + holdSeconds + " s over; shutting down with "
                + open.snapshot().size() + " connection(s) still checked out");
        for (ExecutorService executor : List.of(worker1, worker2, worker3, reports, timeouts)) {
            executor.shutdownNow();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
        pool.close();
        System.exit(0);
    }

    /**
     * Sends the declined orders, one every LEAK_SPACING_MILLIS, odd ones to http-worker-1 and
     * even ones to http-worker-2, waits for them, and returns what they left open, by order.
     */
    private static Map<Long, Reservation> leak(int leaks, OrderController controller,
            OpenTransactions open, ExecutorService worker1, ExecutorService worker2)
            throws Exception {
        List<Future<?>> requests = new ArrayList<>();
        for (int i = 0; i < leaks; i++) {
            if (i > 0) {
                TimeUnit.MILLISECONDS.sleep(LEAK_SPACING_MILLIS);
            }
            Order order = new Order(FIRST_LEAKED_ORDER + i, "SKU-" + (i + 1), 1, DECLINED_CARD);
            ExecutorService worker = i % 2 == 0 ? worker1 : worker2;
            requests.add(worker.submit(() -> controller.handle(order)));
        }
        for (Future<?> request : requests) {
            request.get();
        }
        return open.snapshot();
    }

    /** Adds ApplicationName=NAME to a JDBC URL, so each pool's sessions are told apart. */
    static String withApplicationName(String jdbcUrl, String name) {
        return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "ApplicationName=" + name;
    }

    private static int parseCount(String text, String what, int minimum) {
        try {
            int value = Integer.parseInt(text);
            if (value >= minimum) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        fail("LeakApp: " + what + " must be a whole number of at least " + minimum + ", not '"
                + text + "'\n" + USAGE);
        return minimum; // not reached
    }

    private static ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static void thinkTime() {
        try {
            TimeUnit.MILLISECONDS.sleep(700);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void fail(String message) {
        fail(message, 2);
    }

    private static void fail(String message, int status) {
        System.err.println(message);
        System.exit(status);
    }
}

// ---------------------------------------------------------------------------------------------
// The shop: the code that leaks.

record Order(long id, String sku, int quantity, String card) {}

/** A stock reservation: the open transaction that holds the row lock, on its own connection. */
record Reservation(long orderId, Connection connection, int backendPid, long checkedOutAtMillis) {}

/** The "HTTP" entry point: one call per request, errors become a 402 and the worker goes on. */
final class OrderController {
    private final OrderService service;
    private final AppLog log;

    OrderController(OrderService service, LeakPool pool) {
        this.service = service;
        this.log = pool.logger(OrderController.class.getName());
    }

    void handle(Order order) {
        log.info("POST /orders/" + order.id() + " sku=" + order.sku() + " qty=" + order.quantity());
        try {
            service.placeOrder(order);
            log.info("order " + order.id() + " placed, 201 Created");
        } catch (IllegalStateException | SQLException e) {
            log.warn("order " + order.id() + " failed, 402 Payment Required: " + e.getMessage(), e);
        }
    }
}

final class OrderService {
    private final OrderRepository repository;
    private final PaymentGateway payments;
    private final OpenTransactions open;
    private final AppLog log;

    OrderService(OrderRepository repository, PaymentGateway payments, OpenTransactions open,
            LeakPool pool) {
        this.repository = repository;
        this.payments = payments;
        this.open = open;
        this.log = pool.logger(OrderService.class.getName());
    }

    /**
     * The bug: no try/finally. When the payment is declined the exception leaves with the
     * reservation's transaction still open and its connection never closed.
     */
    void placeOrder(Order order) throws SQLException {
        Reservation reservation = repository.reserveStock(order);
        open.add(reservation);
        payments.charge(order);
        repository.commit(reservation);
        open.remove(reservation);
    }

    /** The request-timeout handler: rolls an order's forgotten transaction back and closes it. */
    void abandon(long orderId, long afterSeconds) {
        Reservation reservation = open.take(orderId);
        if (reservation == null) {
            return;
        }
        log.warn("request for order " + orderId + " timed out after " + afterSeconds
                + " s; rolling back and closing its connection", null);
        try {
            repository.rollback(reservation);
        } catch (SQLException e) {
            log.warn("could not roll order " + orderId + " back: " + e.getMessage(), e);
        }
    }
}

final class OrderRepository {
    private final DataSource dataSource;
    private final String table;

    OrderRepository(DataSource dataSource, String table) {
        this.dataSource = dataSource;
        this.table = table;
    }

    /** Creates the stock table (if need be) and puts 100 units of SKU-1 ... SKU-n in it. */
    void createSchema(int skus) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + table
                    + " (sku text PRIMARY KEY, on_hand integer NOT NULL)");
            statement.execute("INSERT INTO " + table
                    + " SELECT 'SKU-' || n, 100 FROM generate_series(1, " + skus + ") AS n"
                    + " ON CONFLICT (sku) DO UPDATE SET on_hand = 100");
        }
    }

    /** Checks a connection out, begins a transaction and takes the order's units off the shelf. */
    Reservation reserveStock(Order order) throws SQLException {
        Connection connection = dataSource.getConnection();
        long checkedOutAt = System.currentTimeMillis();
        connection.setAutoCommit(false);
        int backendPid;
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            backendPid = rs.getInt(1);
        }
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT on_hand FROM " + table + " WHERE sku = ? FOR UPDATE")) {
            lock.setString(1, order.sku());
            try (ResultSet rs = lock.executeQuery()) {
                if (!rs.next() || rs.getInt(1) < order.quantity()) {
                    connection.rollback();
                    connection.close();
                    throw new IllegalStateException("out of stock: " + order.sku());
                }
            }
        }
        try (PreparedStatement take = connection.prepareStatement(
                "UPDATE " + table + " SET on_hand = on_hand - ? WHERE sku = ?")) {
            take.setInt(1, order.quantity());
            take.setString(2, order.sku());
            take.executeUpdate();
        }
        return new Reservation(order.id(), connection, backendPid, checkedOutAt);
    }

    void commit(Reservation reservation) throws SQLException {
        Connection connection = reservation.connection();
        connection.commit();
        connection.close();
    }

    void rollback(Reservation reservation) throws SQLException {
        Connection connection = reservation.connection();
        connection.rollback();
        connection.close();
    }

    /** Units on hand over all SKUs, for the stock report; a short, correctly returned checkout. */
    long[] stockTotals() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT count(*), coalesce(sum(on_hand), 0) FROM " + table)) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }
}

final class PaymentGateway {
    private final AppLog log;

    PaymentGateway(LeakPool pool) {
        this.log = pool.logger(PaymentGateway.class.getName());
    }

    void charge(Order order) {
        String last4 = order.card().substring(order.card().length() - 4);
        if (order.card().equals(LeakApp.DECLINED_CARD)) {
            throw new IllegalStateException(
                    "payment declined for order " + order.id() + " (card ending " + last4 + ")");
        }
        log.info("charged order " + order.id() + " to card ending " + last4);
    }
}

/** Every reservation between checkout and commit, by order: what a leak leaves behind. */
final class OpenTransactions {
    private final ConcurrentSkipListMap<Long, Reservation> byOrder = new ConcurrentSkipListMap<>();

    void add(Reservation reservation) {
        byOrder.put(reservation.orderId(), reservation);
    }

    void remove(Reservation reservation) {
        byOrder.remove(reservation.orderId());
    }

    Reservation take(long orderId) {
        return byOrder.remove(orderId);
    }

    Map<Long, Reservation> snapshot() {
        return new ConcurrentSkipListMap<>(byOrder);
    }
}

final class StockReportJob implements Runnable {
    private final OrderRepository repository;
    private final AppLog log;

    StockReportJob(OrderRepository repository, LeakPool pool) {
        this.repository = repository;
        this.log = pool.logger(StockReportJob.class.getName());
    }

    @Override
    public void run() {
        try {
            long[] totals = repository.stockTotals();
            log.info("stock report: " + totals[0] + " SKUs, " + totals[1] + " units on hand");
        } catch (SQLException e) {
            log.warn("stock report failed: " + e.getMessage(), e);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The pools and their logging. Each subclass touches only its own pool's and logger's classes,
// so the class path needs only the jars of the pool that runs.

/** The application's own log lines, written through the same logging as the pool's. */
interface AppLog {
    void info(String message);

    /** A warning, with the throwable's stack when there is one. */
    void warn(String message, Throwable thrown);
}

abstract class LeakPool {
    /** Leak-report thresholds, in seconds, short so that a test does not wait long. */
    static final int REPORT_AFTER_SECONDS = 2;
    static final int CLOSE_AFTER_SECONDS = 3;

    static LeakPool named(String name) {
        switch (name) {
            case "hikari":
                return new HikariLeakPool();
            case "c3p0":
                return new C3p0LeakPool();
            case "dbcp2":
                return new Dbcp2LeakPool();
            case "tomcat":
                return new TomcatLeakPool();
            default:
                return null;
        }
    }

    /** Sends the pool's and the application's logging to logFile (appending). */
    abstract void configureLogging(Path logFile) throws IOException;

    abstract AppLog logger(String name);

    abstract DataSource open(String jdbcUrl, String user, String password, int maxSize)
            throws Exception;

    /**
     * Seconds after checkout at which the first leaked connection is given back late, or 0 for
     * a pool that closes the leaked connection itself (so there would be nothing to give back).
     */
    long lateReturnSeconds() {
        return 0;
    }

    abstract void close() throws Exception;

    /** Where java.util.logging writes for the JUL-based pools: the file, flushed every record. */
    static void julToFile(Path logFile, Formatter formatter) throws IOException {
        LogManager.getLogManager().reset();
        OutputStream out = new FileOutputStream(logFile.toFile(), true);
        Handler handler = new StreamHandler(out, formatter) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        handler.setEncoding(StandardCharsets.UTF_8.name());
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(Level.INFO);
        root.addHandler(handler);
    }

    static AppLog julLogger(String name) {
        return new JulAppLog(java.util.logging.Logger.getLogger(name));
    }

    /**
     * The application's lines through java.util.logging, with the source class and method of
     * the code that logs (not of this adapter), as the formatters print them.
     */
    private static final class JulAppLog implements AppLog {
        private final java.util.logging.Logger logger;

        JulAppLog(java.util.logging.Logger logger) {
            this.logger = logger;
        }

        @Override
        public void info(String message) {
            log(Level.INFO, message, null);
        }

        @Override
        public void warn(String message, Throwable thrown) {
            log(Level.WARNING, message, thrown);
        }

        private void log(Level level, String message, Throwable thrown) {
            StackWalker.StackFrame caller = StackWalker.getInstance()
                    .walk(frames -> frames
                            .filter(f -> !f.getClassName().equals(JulAppLog.class.getName()))
                            .findFirst())
                    .orElseThrow();
            logger.logp(level, caller.getClassName(), caller.getMethodName(), message, thrown);
        }
    }
}

/** HikariCP: leakDetectionThreshold only logs; SLF4J to Logback. */
final class HikariLeakPool extends LeakPool {
    private com.zaxxer.hikari.HikariDataSource dataSource;

    @Override
    void configureLogging(Path logFile) {
        ch.qos.logback.classic.LoggerContext context =
                (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        context.reset();
        ch.qos.logback.classic.encoder.PatternLayoutEncoder encoder =
                new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n");
        encoder.start();
        ch.qos.logback.core.FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.FileAppender<>();
        appender.setContext(context);
        appender.setName("leaklog");
        appender.setFile(logFile.toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(ch.qos.logback.classic.Level.INFO);
        root.addAppender(appender);
    }

    @Override
    AppLog logger(String name) {
        org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(name);
        return new AppLog() {
            @Override
            public void info(String message) {
                logger.info(message);
            }

            @Override
            public void warn(String message, Throwable thrown) {
                logger.warn(message, thrown);
            }
        };
    }

    @Override
    DataSource open(String jdbcUrl, String user, String password, int maxSize) {
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(maxSize);
        config.setLeakDetectionThreshold(REPORT_AFTER_SECONDS * 1000L); // 2000 ms is its minimum
        dataSource = new com.zaxxer.hikari.HikariDataSource(config);
        return dataSource;
    }

    @Override
    long lateReturnSeconds() {
        return REPORT_AFTER_SECONDS + 3;
    }

    @Override
    void close() {
        dataSource.close();
    }
}

/**
 * c3p0 0.9.1: unreturnedConnectionTimeout destroys the overdue connection, and
 * debugUnreturnedConnectionStackTraces logs where it was checked out. c3p0 0.9.1 logs through
 * Log4j 1.2 when it finds it; Debian's log4j-1.2-api passes that on to Log4j 2.
 */
final class C3p0LeakPool extends LeakPool {
    private com.mchange.v2.c3p0.ComboPooledDataSource dataSource;

    @Override
    void configureLogging(Path logFile) {
        System.setProperty("com.mchange.v2.log.MLog", "com.mchange.v2.log.log4j.Log4jMLog");
        org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder<
                org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration> builder =
                org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory
                        .newConfigurationBuilder();
        builder.setConfigurationName("leakapp");
        builder.setStatusLevel(org.apache.logging.log4j.Level.WARN);
        builder.add(builder.newAppender("leaklog", "File")
                .addAttribute("fileName", logFile.toString())
                .addAttribute("append", true)
                .add(builder.newLayout("PatternLayout")
                        .addAttribute("pattern", "%d{ISO8601} %-5p [%t] %c - %m%n")));
        builder.add(builder.newRootLogger(org.apache.logging.log4j.Level.INFO)
                .add(builder.newAppenderRef("leaklog")));
        org.apache.logging.log4j.core.config.Configurator.initialize(builder.build());
    }

    @Override
    AppLog logger(String name) {
        org.apache.logging.log4j.Logger logger = org.apache.logging.log4j.LogManager.getLogger(name);
        return new AppLog() {
            @Override
            public void info(String message) {
                logger.info(message);
            }

            @Override
            public void warn(String message, Throwable thrown) {
                logger.warn(message, thrown);
            }
        };
    }

    @Override
    DataSource open(String jdbcUrl, String user, String password, int maxSize) throws Exception {
        dataSource = new com.mchange.v2.c3p0.ComboPooledDataSource();
        dataSource.setDriverClass("org.postgresql.Driver");
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUser(user);
        if (password != null) {
            dataSource.setPassword(password);
        }
        dataSource.setMaxPoolSize(maxSize);
        dataSource.setUnreturnedConnectionTimeout(CLOSE_AFTER_SECONDS);
        dataSource.setDebugUnreturnedConnectionStackTraces(true);
        return dataSource;
    }

    @Override
    void close() {
        dataSource.close();
    }
}

/**
 * Commons DBCP 2: remove-abandoned on the evictor's runs closes the connection, and
 * logAbandoned prints where it was checked out to the abandoned log writer (stdout unless
 * set; here the log file). Its own logging goes through Commons Logging to java.util.logging,
 * as the application's does, formatted by Tomcat's OneLineFormatter as in catalina.out.
 */
final class Dbcp2LeakPool extends LeakPool {
    private org.apache.commons.dbcp2.BasicDataSource dataSource;
    private PrintWriter abandonedLog;

    @Override
    void configureLogging(Path logFile) throws IOException {
        System.setProperty("org.apache.commons.logging.Log",
                "org.apache.commons.logging.impl.Jdk14Logger");
        julToFile(logFile, new org.apache.juli.OneLineFormatter());
        abandonedLog = new PrintWriter(new java.io.OutputStreamWriter(
                new FileOutputStream(logFile.toFile(), true), StandardCharsets.UTF_8), true);
    }

    @Override
    AppLog logger(String name) {
        return julLogger(name);
    }

    @Override
    DataSource open(String jdbcUrl, String user, String password, int maxSize) {
        dataSource = new org.apache.commons.dbcp2.BasicDataSource();
        dataSource.setDriverClassName("org.postgresql.Driver");
        dataSource.setUrl(jdbcUrl);
        dataSource.setUsername(user);
        if (password != null) {
            dataSource.setPassword(password);
        }
        dataSource.setMaxTotal(maxSize);
        dataSource.setLogAbandoned(true);
        dataSource.setAbandonedLogWriter(abandonedLog);
        dataSource.setRemoveAbandonedOnMaintenance(true);
        dataSource.setRemoveAbandonedTimeout(CLOSE_AFTER_SECONDS);
        dataSource.setTimeBetweenEvictionRunsMillis(1000);
        return dataSource;
    }

    @Override
    void close() throws SQLException {
        dataSource.close();
    }
}

/**
 * Tomcat JDBC: suspectTimeout only logs ("marked suspect"); removeAbandoned, later, closes
 * ("abandoned"). The pool cleaner checks every second. JULI logs to java.util.logging, here
 * with its default two-line SimpleFormatter.
 */
final class TomcatLeakPool extends LeakPool {
    /** Suspect at 2 s, given back (the first leak) at 5 s, the rest abandoned at 8 s. */
    static final int ABANDON_AFTER_SECONDS = 8;

    private org.apache.tomcat.jdbc.pool.DataSource dataSource;

    @Override
    void configureLogging(Path logFile) throws IOException {
        julToFile(logFile, new SimpleFormatter());
    }

    @Override
    AppLog logger(String name) {
        return julLogger(name);
    }

    @Override
    DataSource open(String jdbcUrl, String user, String password, int maxSize) {
        org.apache.tomcat.jdbc.pool.PoolProperties properties =
                new org.apache.tomcat.jdbc.pool.PoolProperties();
        properties.setDriverClassName("org.postgresql.Driver");
        properties.setUrl(jdbcUrl);
        properties.setUsername(user);
        if (password != null) {
            properties.setPassword(password);
        }
        properties.setMaxActive(maxSize);
        properties.setMaxIdle(maxSize);
        properties.setInitialSize(2);
        properties.setMinIdle(2);
        // Autocommit back on at each borrow and a rollback at each return, as a sound Tomcat
        // configuration has: without them, a connection an order had set to autocommit off goes
        // to the next borrower that way, and a read-only checkout leaves "idle in transaction".
        properties.setDefaultAutoCommit(true);
        properties.setJdbcInterceptors("ConnectionState");
        properties.setRollbackOnReturn(true);
        properties.setLogAbandoned(true);
        properties.setSuspectTimeout(REPORT_AFTER_SECONDS);
        properties.setRemoveAbandoned(true);
        properties.setRemoveAbandonedTimeout(ABANDON_AFTER_SECONDS);
        properties.setTimeBetweenEvictionRunsMillis(1000);
        dataSource = new org.apache.tomcat.jdbc.pool.DataSource(properties);
        return dataSource;
    }

    @Override
    long lateReturnSeconds() {
        return REPORT_AFTER_SECONDS + 3;
    }

    @Override
    void close() {
        dataSource.close(true);
    }
}
