#!/usr/bin/python3
"""Leaks PostgreSQL connections through SQLAlchemy 1.4's QueuePool on an error path.

The same shop as LeakApp.java: OrderController.handle -> OrderService.place_order ->
OrderRepository.reserve_stock checks a connection out, begins a transaction, locks and updates
a stock row, and then the payment is declined. The exception escapes before commit and close;
the controller logs it and keeps it on its retry list, and that keeps the connection checked out
(the traceback holds the frame that holds it), its session "idle in transaction".

    /usr/bin/python3 sqlalchemy_leak.py [--release-after S] DATABASE_URL LEAKS HOLD_SECONDS LOGFILE

DATABASE_URL is an SQLAlchemy URL such as postgresql+psycopg2://postgres@127.0.0.1:5432/postgres;
application_name=leakapp-sqlalchemy is added to it. Debian 12's python3-sqlalchemy (1.4) and
python3-psycopg2 are needed: run it with /usr/bin/python3.

The leaks come 1.5 s apart. stdout carries exactly one line, "READY <pid> <pid> ...", as soon
as the leaks are done: the backend pids (pg_backend_pid()) of the leaked connections, in order
of the orders. Then good orders and a stock report every second go on; S seconds (default 5;
0: never) after its checkout the retry list lets go of the first failure, and a second later
the garbage collector is run.

What SQLAlchemy 1.4 does then (unlike 2.0, it has no warning about it for a synchronous driver
such as psycopg2): when nothing refers to the checked-out connection any more, the pool's weak
reference callback rolls its transaction back and returns it to the pool, and says so only in
the pool's DEBUG lines ("being returned to pool", "rollback-on-return"). The session survives,
idle. The Connection and its Transaction refer to each other, so it is the cyclic garbage
collector, not reference counting, that lets go of them. The pool logger is set to DEBUG here,
and Python warnings are captured into the log, so that whatever SQLAlchemy says is in the file.
"""

import argparse
import gc
import logging
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass

import sqlalchemy
from sqlalchemy import text
from sqlalchemy.engine import make_url

APPLICATION_NAME = "leakapp-sqlalchemy"
DECLINED_CARD = "4000-0000-0000-0002"
GOOD_CARD = "4242-4242-4242-4242"
FIRST_LEAKED_ORDER = 1001
FIRST_GOOD_ORDER = 2001
GOOD_ORDERS = 3
# Time between two leaks: more than a second, so that each leak's checkout falls in its own
# second and a log line can be matched to its session by time.
LEAK_SPACING_SECONDS = 1.5
TABLE = "leakapp_stock_sqlalchemy"
LOG_FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"


@dataclass(frozen=True)
class Order:
    id: int
    sku: str
    quantity: int
    card: str


@dataclass
class Reservation:
    """A stock reservation: the open transaction that holds the row lock, on its connection."""

    order_id: int
    connection: sqlalchemy.engine.Connection
    transaction: sqlalchemy.engine.Transaction
    backend_pid: int
    checked_out_at: float


class OrderRepository:
    def __init__(self, engine):
        self.engine = engine

    def create_schema(self, skus):
        with self.engine.begin() as connection:
            connection.execute(text(
                f"CREATE TABLE IF NOT EXISTS {TABLE}"
                " (sku text PRIMARY KEY, on_hand integer NOT NULL)"))
            connection.execute(text(
                f"INSERT INTO {TABLE} SELECT 'SKU-' || n, 100"
                " FROM generate_series(1, :skus) AS n"
                " ON CONFLICT (sku) DO UPDATE SET on_hand = 100"), {"skus": skus})

    def reserve_stock(self, order):
        """Checks a connection out, begins a transaction, takes the order's units off the shelf."""
        connection = self.engine.connect()
        checked_out_at = time.time()
        transaction = connection.begin()
        backend_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        on_hand = connection.execute(
            text(f"SELECT on_hand FROM {TABLE} WHERE sku = :sku FOR UPDATE"),
            {"sku": order.sku}).scalar()
        if on_hand is None or on_hand < order.quantity:
            transaction.rollback()
            connection.close()
            raise RuntimeError(f"out of stock: {order.sku}")
        connection.execute(
            text(f"UPDATE {TABLE} SET on_hand = on_hand - :quantity WHERE sku = :sku"),
            {"quantity": order.quantity, "sku": order.sku})
        return Reservation(order.id, connection, transaction, backend_pid, checked_out_at)

    def commit(self, reservation):
        reservation.transaction.commit()
        reservation.connection.close()

    def stock_totals(self):
        """A short, correctly returned checkout for the stock report."""
        with self.engine.connect() as connection:
            return connection.execute(
                text(f"SELECT count(*), coalesce(sum(on_hand), 0) FROM {TABLE}")).one()


class PaymentDeclined(Exception):
    pass


class PaymentGateway:
    log = logging.getLogger("shop.PaymentGateway")

    def charge(self, order):
        last4 = order.card[-4:]
        if order.card == DECLINED_CARD:
            raise PaymentDeclined(
                f"payment declined for order {order.id} (card ending {last4})")
        self.log.info("charged order %d to card ending %s", order.id, last4)


class OrderService:
    def __init__(self, repository, payments, open_transactions):
        self.repository = repository
        self.payments = payments
        self.open_transactions = open_transactions

    def place_order(self, order):
        # The bug: no try/finally (nor "with"). When the payment is declined the exception
        # leaves with the reservation's transaction open and its connection never closed.
        reservation = self.repository.reserve_stock(order)
        # Only the pid and the time, not the reservation: a reference to it would keep the
        # connection checked out by itself.
        self.open_transactions[order.id] = (reservation.backend_pid, reservation.checked_out_at)
        self.payments.charge(order)
        self.repository.commit(reservation)
        del self.open_transactions[order.id]


class OrderController:
    log = logging.getLogger("shop.OrderController")

    def __init__(self, service):
        self.service = service
        self.retry_list = {}  # order id -> the exception, kept to retry the order later
        self.lock = threading.Lock()

    def handle(self, order):
        self.log.info("POST /orders/%d sku=%s qty=%d", order.id, order.sku, order.quantity)
        try:
            self.service.place_order(order)
            self.log.info("order %d placed, 201 Created", order.id)
        except PaymentDeclined as exc:
            self.log.warning("order %d failed, 402 Payment Required: %s", order.id, exc,
                             exc_info=True)
            with self.lock:
                self.retry_list[order.id] = exc

    def forget(self, order_id):
        with self.lock:
            return self.retry_list.pop(order_id, None) is not None


def stock_report_loop(repository, stop):
    log = logging.getLogger("shop.StockReportJob")
    stop.wait(0.5)
    while not stop.is_set():
        try:
            skus, units = repository.stock_totals()
            log.info("stock report: %d SKUs, %d units on hand", skus, units)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            log.warning("stock report failed: %s", exc, exc_info=True)
        stop.wait(1.0)


def release_first_failure(controller, order_id, release_at, stop):
    """The retry sweeper: gives up on the first failed order, then runs the garbage collector."""
    log = logging.getLogger("shop.RetrySweeper")
    if stop.wait(max(0.0, release_at - time.time())):
        return
    if controller.forget(order_id):
        log.info("giving up on order %d; dropping it from the retry list", order_id)
    if stop.wait(1.0):
        return
    log.info("gc.collect(): %d unreachable objects", gc.collect())


def configure_logging(log_file):
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # The pool's checkout, return and reset lines are at DEBUG.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.DEBUG)
    logging.captureWarnings(True)
    warnings.simplefilter("default")


def run_thread(name, target, *args):
    thread = threading.Thread(name=name, target=target, args=args, daemon=True)
    thread.start()
    return thread


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release-after", type=float, default=5.0, metavar="S",
                        help="seconds after its checkout at which the first leak is let go"
                        " of (0: never); default 5")
    parser.add_argument("url", metavar="DATABASE_URL")
    parser.add_argument("leaks", metavar="LEAKS", type=int)
    parser.add_argument("hold", metavar="HOLD_SECONDS", type=float)
    parser.add_argument("log_file", metavar="LOGFILE")
    args = parser.parse_args()
    if args.leaks < 1 or args.hold < 0:
        parser.error("LEAKS must be at least 1 and HOLD_SECONDS at least 0")

    configure_logging(args.log_file)
    log = logging.getLogger("shop.main")
    url = make_url(args.url).update_query_dict({"application_name": APPLICATION_NAME})
    log.info("starting: SQLAlchemy %s, %d leak(s), hold %g s, %s", sqlalchemy.__version__,
             args.leaks, args.hold, url.render_as_string(hide_password=True))

    engine = sqlalchemy.create_engine(url, pool_size=args.leaks + 3, max_overflow=0)
    repository = OrderRepository(engine)
    repository.create_schema(args.leaks + GOOD_ORDERS)
    open_transactions = {}
    controller = OrderController(OrderService(repository, PaymentGateway(), open_transactions))

    # The leaks, one every LEAK_SPACING_SECONDS: odd orders on http-worker-1, even ones on
    # http-worker-2.
    leaked = [Order(FIRST_LEAKED_ORDER + i, f"SKU-{i + 1}", 1, DECLINED_CARD)
              for i in range(args.leaks)]
    start = time.time()

    def serve(first_index):
        for i in range(first_index, len(leaked), 2):
            time.sleep(max(0.0, start + i * LEAK_SPACING_SECONDS - time.time()))
            controller.handle(leaked[i])

    workers = [run_thread("http-worker-1", serve, 0), run_thread("http-worker-2", serve, 1)]
    for worker in workers:
        worker.join()
    pids = [open_transactions[order_id][0] for order_id in sorted(open_transactions)]
    print("READY " + " ".join(str(pid) for pid in pids), flush=True)

    stop = threading.Event()
    if args.release_after > 0:
        first = leaked[0].id
        checked_out_at = open_transactions[first][1]
        run_thread("retry-sweeper", release_first_failure, controller, first,
                   checked_out_at + args.release_after, stop)
    run_thread("report-scheduler-1", stock_report_loop, repository, stop)
    good = [Order(FIRST_GOOD_ORDER + i, f"SKU-{args.leaks + i + 1}", 2, GOOD_CARD)
            for i in range(GOOD_ORDERS)]

    def serve_slowly(orders):
        for order in orders:
            controller.handle(order)
            if stop.wait(0.7):
                return

    run_thread("http-worker-3", serve_slowly, good)

    time.sleep(args.hold)
    log.info("hold of %g s over; shutting down with %d connection(s) still checked out",
             args.hold, engine.pool.checkedout())
    stop.set()
    logging.shutdown()
    sys.stdout.flush()
    # Leave without disposing of the pool or running finalizers (which would return what is
    # still checked out, and log it after the log is closed): the server ends the sessions.
    os._exit(0)


if __name__ == "__main__":
    main()
