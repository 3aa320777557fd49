/**
 * The ioredis client the Redis adapters share. It fails fast while Redis is away (no offline queue, one retry, a
 * command timeout) so the cache degrades to a bypass instead of stalling requests, and reconnects on its own.
 * A rediss:// URL connects with TLS (ioredis turns it on from the scheme) and sends the URL's password as AUTH.
 */
import { Redis } from "ioredis";

export interface RedisTls {
  /** PEM CAs the server's certificate must chain to; absent: the system's CAs. */
  ca?: string;
}

export function createRedisClient(url: string, onError: (err: Error) => void, tls?: RedisTls): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: 2000,
    // Batches concurrent commands into one round trip: the cached read path's largest single gain on a busy box.
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // Node checks the certificate and the host name (or IP address) against it; only the CAs are ours to choose.
    ...(url.startsWith("rediss:") ? { tls: tls?.ca ? { ca: tls.ca } : {} } : {}),
  });
  client.on("error", onError);
  return client;
}
