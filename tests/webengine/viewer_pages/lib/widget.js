// A stand-in for an htmlwidget's binding: proves the page's own script ran.
document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('out').textContent = 'widget ran';
});
