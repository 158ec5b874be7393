import { createGateway } from '../../src/server/gateway/gateway';

/*
 * A gateway in its own process, for benchmarks that measure this process's event loop: the centre's work must not
 * land in the loop being measured. Connects with GATEWAY_DATABASE_URL and tells its parent where it listens.
 */
const gateway = createGateway({ databaseUrl: process.env.GATEWAY_DATABASE_URL ?? '', log: () => undefined });
const { url } = await gateway.listen(0);
process.send?.({ url });
process.once('disconnect', () => void gateway.close().then(() => process.exit(0)));
