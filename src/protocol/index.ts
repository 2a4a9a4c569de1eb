/** The protocol's pure types and constants; `rpc.ts` (vscode-jsonrpc objects) is imported separately by node code. */
export * from './host';
export * from './jobs';
export * from './methods';
export * from './model';
export * from './data';
export * from './interpret';
export * from './connectivity';
export * from './nad';
export * from './efcn';
