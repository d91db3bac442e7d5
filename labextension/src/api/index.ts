export { NebulaApi, API_PATH } from './client';
export type { IDiff, IFieldChange, IStars, ITable, ITypeInfo, LookbackKind } from './client';
export { NebulaApiError } from './errors';
export type { IFieldError } from './errors';
