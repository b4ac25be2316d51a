/// The dashboard's page, style and script, served from the program itself: nothing is
/// fetched from the network, so the page works offline. The script builds every element
/// with `textContent`, never HTML, so names that workers report cannot inject markup.
enum DashboardAssets {}
