// canvas.js: the drawing canvas of the draw package, for the notebook cell
// (draw.Show) and for the page of "digits serve" (draw.Handler). No library:
// the page may be offline.
//
// digitsCanvas(root, ask, done) builds, inside the element root, a canvas
// to draw on with a mouse, a pen or a finger (pointer events), a Clear
// button and, when done is a function, a Done button that calls it. While
// the student draws, ask(canvas) is called with the canvas; it returns a
// Promise of the answer {html} (an HTML fragment made by the Go program) or
// {error} (a message). One question is in flight at a time: when its answer
// comes and the drawing has changed since, the next one is asked, so the
// answer follows the pen as fast as the models answer.
//
// For tests, root carries data-pending="1" while the shown answer is not
// the answer for the drawing on the canvas, "0" once it is.
function digitsCanvas(root, ask, done) {
  const SIZE = 280; // draw.CanvasSize
  const PEN = 22; // draw.PenWidth

  const el = (tag, attrs = {}, text = '') => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    return e;
  };
  root.textContent = '';
  const row = el('div', { style: 'display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap;font-family:sans-serif' });
  const left = el('div');
  const canvas = el('canvas', {
    width: SIZE, height: SIZE, class: 'digits-canvas',
    style: `width:${SIZE}px;height:${SIZE}px;border:1px solid #888;touch-action:none;cursor:crosshair;background:#fff`,
  });
  const buttons = el('div', { style: 'margin-top:6px;display:flex;gap:8px' });
  const clearButton = el('button', { type: 'button', class: 'digits-clear' }, 'Clear');
  buttons.append(clearButton);
  if (typeof done === 'function') {
    const doneButton = el('button', { type: 'button', class: 'digits-done' }, 'Done');
    doneButton.addEventListener('click', () => {
      finished = true;
      doneButton.disabled = true;
      clearButton.disabled = true;
      status.textContent = 'Done: the last answer stays in the notebook.';
      done();
    });
    buttons.append(doneButton);
  }
  const status = el('div', { class: 'digits-status', style: 'margin-top:6px;color:#555' },
    'Draw one digit, large, in the middle.');
  const answer = el('div', { class: 'digits-live', style: 'min-width:240px' });
  left.append(canvas, buttons, status);
  row.append(left, answer);
  root.append(row);

  const ctx = canvas.getContext('2d');
  ctx.lineWidth = PEN;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#000';
  ctx.fillStyle = '#000';
  const blank = () => {
    ctx.save();
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, SIZE, SIZE);
    ctx.restore();
  };
  blank();

  let inked = false; // Something is drawn.
  let dirty = false; // The drawing changed since the last question.
  let inFlight = false; // A question waits for its answer.
  let generation = 0; // Bumped by Clear: answers for an older drawing are dropped.
  let pen = null; // The last point of the stroke being drawn.
  let finished = false; // Done was pressed: no more questions.
  const setPending = () => { root.dataset.pending = (dirty || inFlight) ? '1' : '0'; };
  setPending();

  const pump = () => {
    setPending();
    if (finished || inFlight || !dirty || !inked) return;
    dirty = false;
    inFlight = true;
    setPending();
    const asked = generation;
    Promise.resolve()
      .then(() => ask(canvas))
      .then((a) => {
        if (asked !== generation) return;
        if (a && a.error) {
          status.textContent = a.error;
        } else if (a && a.html) {
          answer.innerHTML = a.html;
          status.textContent = 'The answer follows your pen.';
        }
      }, (e) => { status.textContent = `No answer: ${e.message || e}`; })
      .finally(() => { inFlight = false; pump(); });
  };

  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * SIZE / r.width, y: (e.clientY - r.top) * SIZE / r.height };
  };
  const dot = (p) => {
    ctx.beginPath();
    ctx.arc(p.x, p.y, PEN / 2, 0, 2 * Math.PI);
    ctx.fill();
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    pen = point(e);
    dot(pen);
    inked = true;
    dirty = true;
    pump();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!pen) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = point(ev);
      ctx.beginPath();
      ctx.moveTo(pen.x, pen.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      pen = p;
    }
    dirty = true;
    pump();
  });
  const lift = () => {
    if (!pen) return;
    pen = null;
    dirty = true;
    pump();
  };
  canvas.addEventListener('pointerup', lift);
  canvas.addEventListener('pointercancel', lift);
  clearButton.addEventListener('click', () => {
    generation++;
    blank();
    inked = false;
    dirty = false;
    answer.textContent = '';
    status.textContent = 'Draw one digit, large, in the middle.';
    setPending();
  });
}
