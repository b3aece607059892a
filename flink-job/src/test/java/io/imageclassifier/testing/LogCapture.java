package io.imageclassifier.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** Collects what one class logs (level and message) while open; for tests that assert a log line. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    /** One captured line. */
    public record Line(Level level, String message) {}

    private final Logger logger;
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    private LogCapture(Logger logger) {
        super("capture-" + logger.getName(), null, null, true, Property.EMPTY_ARRAY);
        this.logger = logger;
    }

    /** Starts capturing the INFO and higher lines of {@code source}'s logger. */
    public static LogCapture of(Class<?> source) {
        Logger logger = ((LoggerContext) LogManager.getContext(false)).getLogger(source.getName());
        LogCapture capture = new LogCapture(logger);
        capture.start();
        logger.addAppender(capture);
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        lines.add(new Line(event.getLevel(), event.getMessage().getFormattedMessage()));
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    /** The captured lines at {@code level}. */
    public List<String> at(Level level) {
        return lines.stream().filter(l -> l.level() == level).map(Line::message).toList();
    }

    @Override
    public void close() {
        logger.removeAppender(this);
        stop();
    }
}
