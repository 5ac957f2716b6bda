from lbt_app.core.ratelimit import TokenBuckets


def test_a_burst_then_the_steady_rate():
    buckets = TokenBuckets(rate=2, burst=5)
    assert [buckets.allow("a", 0.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert buckets.allow("a", 0.4) is False  # 0.8 of a token so far
    assert buckets.allow("a", 0.5) is True
    assert buckets.allow("b", 0.5) is True  # every client has its own bucket


def test_idle_clients_refill_only_up_to_the_burst():
    buckets = TokenBuckets(rate=1, burst=3)
    for _ in range(3):
        buckets.allow("a", 0.0)
    assert [buckets.allow("a", 1000.0) for _ in range(4)] == [True, True, True, False]


def test_memory_stays_bounded_by_forgetting_the_least_recent():
    buckets = TokenBuckets(rate=1, burst=1, max_keys=100)
    for i in range(1000):
        buckets.allow(f"client-{i}", 0.0)
    assert len(buckets._buckets) == 100
    assert buckets.allow("client-0", 0.0) is True  # forgotten, so new again
