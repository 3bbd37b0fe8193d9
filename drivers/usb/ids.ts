/**
 * USB identification of Ingenico terminals. Vendor IDs are firm; product IDs are hints seen in
 * the wild, used only to name the model (see docs/readers.md#usb-ids).
 */

/** Ingenico, and Sagem-Monetel for older Telium terminals. */
export const INGENICO_VENDOR_IDS: readonly number[] = [0x0b00, 0x079b];

const MODEL_HINTS: ReadonlyMap<string, string> = new Map([
  ['0b00:0080', 'Desk/5000'],
  ['0b00:0081', 'Lane/5000'],
  ['0b00:0082', 'Lane/8000'],
  ['0b00:0084', 'Lane/3000'],
  ['0b00:0085', 'Move/5000'],
  ['0b00:0087', 'Desk/1500'],
  ['0b00:0064', 'iWL2xx/3xx'],
  ['0b00:0066', 'iCT2xx'],
  ['0b00:0054', 'Desk/3xxx'],
  ['0b00:0053', 'Move/3xxx'],
  ['079b:0028', 'Telium'],
  ['079b:0051', 'iPP2xx'],
]);

/**
 * USB-to-RS-232 bridges a serial-only terminal may sit behind (FTDI, Prolific, Silicon Labs,
 * WCH): a device with one of these could be anything, so it is only ever probed, never claimed.
 */
export const USB_SERIAL_BRIDGE_VENDOR_IDS: readonly number[] = [0x0403, 0x067b, 0x10c4, 0x1a86];

export function isIngenico(vendorId: number | undefined): boolean {
  return vendorId !== undefined && INGENICO_VENDOR_IDS.includes(vendorId);
}

/** "0b00:0080" */
export function usbIdKey(vendorId: number, productId: number): string {
  return `${hex4(vendorId)}:${hex4(productId)}`;
}

export function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

/** Model name from a VID/PID hint: "Desk/5000", or "Ingenico terminal" for an unknown Ingenico PID. */
export function ingenicoModel(vendorId: number | undefined, productId: number | undefined): string | undefined {
  if (!isIngenico(vendorId) || productId === undefined) return undefined;
  return MODEL_HINTS.get(usbIdKey(vendorId!, productId)) ?? 'Ingenico terminal';
}
