export function findElectronBinary(): string | null;
