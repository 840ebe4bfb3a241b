"""The data viewer pane: DataViewerTabs of DataViewer widgets over R-side data."""
