/** The pure access policy: roles, registrations, passwords, sensitive categories, relationships and decide(). */
export * from './roles.ts';
export * from './registration.ts';
export * from './passwordPolicy.ts';
export * from './sensitive.ts';
export * from './relationship.ts';
export * from './decide.ts';
export { startOf, endOf, ukOffsetMs } from './time.ts';
