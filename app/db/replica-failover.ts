/**
 * A kysely dialect for reads on a replica that moves a query to another database when the replica
 * turns out unreachable mid-flight (a crash between two health checks): the read is answered, not
 * failed, and the router takes the replica out of rotation. Only single reads fail over; a replica
 * connection refuses transactions, since writes and their reads belong on the primary.
 */
import {
  MysqlDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type MysqlDialectConfig,
  type QueryResult,
} from "kysely";
import { isConnectionError } from "./connection-errors.ts";

export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** Called with the error when the replica is unreachable; returns where the query goes instead. */
export type OnUnreachable = (err: unknown) => QueryRunner;

export class FailoverMysqlDialect extends MysqlDialect {
  constructor(
    config: MysqlDialectConfig,
    private readonly onUnreachable: OnUnreachable,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new FailoverDriver(super.createDriver(), this.onUnreachable);
  }
}

class FailoverDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly onUnreachable: OnUnreachable,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    try {
      return new FailoverConnection(await this.inner.acquireConnection(), this.onUnreachable);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      return new FallbackConnection(this.onUnreachable(err));
    }
  }

  async beginTransaction(): Promise<void> {
    throw new Error("a replica connection is for single reads: run transactions on the primary (ReplicaRouter.write)");
  }
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (connection instanceof FailoverConnection) await this.inner.releaseConnection(connection.inner);
  }

  /** The pool belongs to the router's probe instance, which closes it. */
  async destroy(): Promise<void> {}
}

class FailoverConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly onUnreachable: OnUnreachable,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      return this.onUnreachable(err).executeQuery(query as CompiledQuery<R>);
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** The replica could not even be connected to: every query goes straight to the fallback. */
class FallbackConnection implements DatabaseConnection {
  constructor(private readonly fallback: QueryRunner) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.fallback.executeQuery(query as CompiledQuery<R>);
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming from a replica that is down is not supported; read without streaming");
  }
}
