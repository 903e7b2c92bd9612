"""Running as a provincial deployment (issue 18): the request id and the log, the reverse
proxy, the health and readiness answers, and Redis as the state the app servers share (rate
limits, the task queue and its schedule). Every part builds on the root only, so that any
package may hand work to the queue; without REDIS_URL nothing here needs a service."""
