import { useEffect } from 'react';
import { usePos } from '../store/context';

/**
 * What "print from this screen" prints: the host's markup of a receipt or report (every string
 * escaped by the host), shown only on paper by the print stylesheet. The browser's print dialog
 * in web mode; in Electron window.print() is the window's webContents.print().
 */
export function PrintArea() {
  const job = usePos((s) => s.ui.printJob);
  useEffect(() => {
    if (!job) return;
    const previous = document.title;
    document.title = job.title;
    // After this render, so the markup is in the page when the dialog takes its picture.
    const timer = setTimeout(() => {
      try {
        window.print();
      } finally {
        document.title = previous;
      }
    }, 0);
    return () => clearTimeout(timer);
  }, [job]);
  if (!job) return null;
  return <div className="print-area" aria-hidden="true" dangerouslySetInnerHTML={{ __html: job.html }} />;
}
