import type { z } from 'zod';
import type { MethodName, MethodOutput, Methods } from '../shared/contract';

/** One contract method's implementation: receives the parsed input, answers or throws an ApiError. */
export type Handler<M extends MethodName> = (input: z.output<Methods[M]['input']>) => Promise<MethodOutput<M>> | MethodOutput<M>;

/** The slice of the contract one domain answers; the station composes every domain's slice. */
export type Handlers<M extends MethodName> = { [K in M]: Handler<K> };
