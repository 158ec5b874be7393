import { createGateway } from '../../src/server/gateway/gateway';

/*
 * A gateway in its own process: for benchmarks that measure this process's event loop (the centre's work must not
 * land in the loop being measured) and for fault tests that kill it with SIGKILL. Connects with
 * GATEWAY_DATABASE_URL, listens on GATEWAY_PORT (0: any free port) and tells its parent where.
 */
const gateway = createGateway({ databaseUrl: process.env.GATEWAY_DATABASE_URL ?? '', log: () => undefined });
const { url } = await gateway.listen(Number(process.env.GATEWAY_PORT ?? 0));
process.send?.({ url });
process.once('disconnect', () => void gateway.close().then(() => process.exit(0)));
