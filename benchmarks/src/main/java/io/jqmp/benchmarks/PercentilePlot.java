package io.jqmp.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Draws latency distributions as a PNG, headless, with java.awt: latency (log scale) against
 * percentile, where the x axis spreads the tail (0, 90, 99, 99.9, 99.99 % equally spaced), the
 * usual way to show a distribution's tail.
 *
 * <p>Not thread-safe; a plot is built and written by one thread.
 */
public final class PercentilePlot {
    /** One curve: a name for the legend and the latencies, recorded in nanoseconds. */
    public record Series(String name, Histogram nanos) {
    }

    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0x17becf), new Color(0x7f7f7f),
    };
    private static final int W = 900;
    private static final int H = 560;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    /** The x axis ends at 99.99 %: log10(1 / (1 - 0.9999)). */
    private static final double X_MAX = 4.0;

    private final String title;
    private final List<Series> series = new ArrayList<>();

    public PercentilePlot(String title) {
        this.title = title;
    }

    /** Adds a curve; empty histograms are skipped. Returns this plot. */
    public PercentilePlot add(String name, Histogram nanos) {
        if (nanos != null && nanos.getTotalCount() > 0) {
            series.add(new Series(name, nanos));
        }
        return this;
    }

    /** The number of curves added. */
    public int size() {
        return series.size();
    }

    /** Renders the plot and writes it to {@code file} as PNG. */
    public void write(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double yMin = Double.MAX_VALUE;
        double yMax = 0;
        for (Series s : series) {
            yMin = Math.min(yMin, Math.max(1, s.nanos().getMinValue()) / 1000.0);
            yMax = Math.max(yMax, s.nanos().getValueAtPercentile(99.99) / 1000.0);
        }
        if (series.isEmpty()) {
            yMin = 1;
            yMax = 10;
        }
        double lo = Math.floor(Math.log10(Math.max(yMin, 0.001)));
        double hi = Math.ceil(Math.log10(Math.max(yMax, yMin * 10)));

        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.setColor(Color.BLACK);
            g.drawString(title, LEFT, 30);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));

            // Grid and axis labels.
            String[] xLabels = {"0%", "90%", "99%", "99.9%", "99.99%"};
            for (int i = 0; i <= 4; i++) {
                int x = xPix(i);
                g.setColor(new Color(0xdddddd));
                g.drawLine(x, TOP, x, H - BOTTOM);
                g.setColor(Color.BLACK);
                g.drawString(xLabels[i], x - 15, H - BOTTOM + 18);
            }
            for (int e = (int) lo; e <= (int) hi; e++) {
                int y = yPix(e, lo, hi);
                g.setColor(new Color(0xdddddd));
                g.drawLine(LEFT, y, W - RIGHT, y);
                g.setColor(Color.BLACK);
                g.drawString(formatMicros(Math.pow(10, e)), 10, y + 4);
            }
            g.drawString("percentile", W / 2 - 30, H - 15);
            g.drawString("latency (µs, log)", 10, TOP - 8);
            g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);

            // Curves.
            g.setStroke(new BasicStroke(2f));
            for (int i = 0; i < series.size(); i++) {
                Series s = series.get(i);
                g.setColor(COLORS[i % COLORS.length]);
                int px = -1;
                int py = -1;
                for (HistogramIterationValue v : s.nanos().percentiles(5)) {
                    double p = v.getPercentileLevelIteratedTo() / 100.0;
                    double xv = p >= 1 ? X_MAX : Math.min(X_MAX, Math.log10(1 / (1 - p)));
                    double us = Math.max(v.getValueIteratedTo() / 1000.0, Math.pow(10, lo));
                    int x = LEFT + (int) Math.round(xv / X_MAX * (W - LEFT - RIGHT));
                    int y = yPix(Math.log10(us), lo, hi);
                    if (px >= 0) {
                        g.drawLine(px, py, x, y);
                    }
                    px = x;
                    py = y;
                    if (xv >= X_MAX) {
                        break;
                    }
                }
                // Legend.
                int ly = TOP + 20 + i * 18;
                g.fillRect(LEFT + 12, ly - 9, 18, 4);
                g.setColor(Color.BLACK);
                g.drawString(s.name(), LEFT + 36, ly - 3);
            }
        } finally {
            g.dispose();
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    private static int xPix(int decade) {
        return LEFT + (int) Math.round(decade / X_MAX * (W - LEFT - RIGHT));
    }

    private static int yPix(double log10, double lo, double hi) {
        double f = (log10 - lo) / (hi - lo);
        return H - BOTTOM - (int) Math.round(f * (H - TOP - BOTTOM));
    }

    private static String formatMicros(double us) {
        if (us >= 1000) {
            return String.format(java.util.Locale.ROOT, "%.0f ms", us / 1000);
        }
        return us >= 1 ? String.format(java.util.Locale.ROOT, "%.0f µs", us)
                : String.format(java.util.Locale.ROOT, "%.2f µs", us);
    }
}
