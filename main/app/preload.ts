// Preload: exposes the contract as window.pos (filled in by the shell work).
export {};
