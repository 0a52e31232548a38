"""Guards for the calls the gateway makes to outside systems (Traffic Center, a school's LAS, the OSR):

- `retry.RetryPolicy`: the one backoff formula (exponential, capped, jittered), for the queue and the clients;
- `bulkhead.Bulkhead`: bounded concurrency per endpoint;
- `breaker.CircuitBreaker`: stop calling what keeps failing;
- `guards.EndpointGuards`: both per endpoint of one outside system, with their /metrics (`guard_samples`).

Core code below the adapters: it imports nothing of ours but `gateway.errors` and `gateway.metric_samples`.
"""
