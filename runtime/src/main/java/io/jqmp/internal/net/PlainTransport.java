package io.jqmp.internal.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A socket in the clear, read and written through its channel. Threading as {@link Transport}. */
public record PlainTransport(SocketChannel channel) implements Transport {

    @Override
    public void open() {
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }

    @Override
    public ByteBuffer newWriteBuffer(int capacity) {
        return ByteBuffer.allocateDirect(capacity);
    }

    @Override
    public boolean allowsDirectWrites() {
        return true;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing is all that was asked for
        }
    }
}
