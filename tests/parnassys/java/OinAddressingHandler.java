// Edukoppeling addressing for a JAX-WS client: wsa:From with the sender's OIN (JAX-WS does not send wsa:From
// by itself). Action, MessageID and To come from the JAX-WS runtime (the WSDL's wsam:Addressing policy turns
// WS-Addressing on); the receiver's OIN goes into wsa:To through the endpoint address (`...?oin=<OIN>`).
// Part of the partner kit (docs/partners/parnassys.md): copy it as is.

import java.util.Collections;
import java.util.Set;
import javax.xml.namespace.QName;
import javax.xml.soap.SOAPElement;
import javax.xml.soap.SOAPEnvelope;
import javax.xml.soap.SOAPException;
import javax.xml.soap.SOAPHeader;
import javax.xml.ws.handler.MessageContext;
import javax.xml.ws.handler.soap.SOAPHandler;
import javax.xml.ws.handler.soap.SOAPMessageContext;

public class OinAddressingHandler implements SOAPHandler<SOAPMessageContext> {
    static final String WSA = "http://www.w3.org/2005/08/addressing";
    static final String ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous";

    private final String fromOin;

    public OinAddressingHandler(String fromOin) {
        this.fromOin = fromOin;
    }

    @Override
    public boolean handleMessage(SOAPMessageContext context) {
        if (!Boolean.TRUE.equals(context.get(MessageContext.MESSAGE_OUTBOUND_PROPERTY))) {
            return true;
        }
        try {
            SOAPEnvelope envelope = context.getMessage().getSOAPPart().getEnvelope();
            SOAPHeader header = envelope.getHeader() != null ? envelope.getHeader() : envelope.addHeader();
            SOAPElement from = header.addChildElement(new QName(WSA, "From", "wsa"));
            from.addChildElement(new QName(WSA, "Address", "wsa")).addTextNode(ANONYMOUS + "?oin=" + fromOin);
            context.getMessage().saveChanges();
        } catch (SOAPException e) {
            throw new RuntimeException(e);
        }
        return true;
    }

    @Override
    public boolean handleFault(SOAPMessageContext context) {
        return true;
    }

    @Override
    public void close(MessageContext context) {
    }

    @Override
    public Set<QName> getHeaders() {
        return Collections.emptySet();
    }
}
