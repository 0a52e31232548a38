// A stock JAX-WS (RI) client of the gateway's OSO-SWV endpoint, from `wsimport -p nl.swv.oso <address>?wsdl`:
// mutual TLS, Edukoppeling addressing (OinAddressingHandler), profile 2W-be. Prints one line per outcome:
//   RESULTAAT <resultaat>          the call was accepted
//   FOUT <code> <locatie>          a refusal, as the typed fault nl.swv.oso.Fout (wsdl:fault "fout")
// Arguments: wsdl-url keystore.p12 keystore-password truststore.p12 truststore-password from-oin to-oin
//            bronBrin bronRouteringsKenmerk doelBrin doelRouteringsKenmerk koppelsleutel doel
// Part of the partner kit (docs/partners/parnassys.md).

import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URL;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.handler.Handler;
import nl.swv.oso.Fout;
import nl.swv.oso.Fouten;
import nl.swv.oso.NotificatieRequest;
import nl.swv.oso.NotificatieResponse;
import nl.swv.oso.SwvNotificatieService;
import nl.swv.oso.SwvNotificatieServicePortType;

public class PartnerClient {
    static KeyStore load(String path, char[] password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            store.load(in, password);
        }
        return store;
    }

    public static void main(String[] args) throws Exception {
        String wsdl = args[0];
        char[] keyPassword = args[2].toCharArray();
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(args[1], keyPassword), keyPassword);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(load(args[3], args[4].toCharArray()));
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        HttpsURLConnection.setDefaultSSLSocketFactory(tls.getSocketFactory()); // fetching the WSDL

        SwvNotificatieService service = new SwvNotificatieService(new URL(wsdl));
        SwvNotificatieServicePortType port = service.getSwvNotificatieServicePort();
        BindingProvider provider = (BindingProvider) port;
        String address = wsdl.replaceFirst("\\?wsdl$", "");
        provider.getRequestContext().put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, address + "?oin=" + args[6]);
        provider.getRequestContext().put("com.sun.xml.ws.transport.https.client.SSLSocketFactory", tls.getSocketFactory());
        @SuppressWarnings("rawtypes")
        List<Handler> chain = provider.getBinding().getHandlerChain();
        chain.add(new OinAddressingHandler(args[5]));
        provider.getBinding().setHandlerChain(chain);

        NotificatieRequest request = new NotificatieRequest();
        request.setBronBrin(args[7]);
        request.setBronRouteringsKenmerk(args[8]);
        request.setDoelBrin(args[9]);
        request.setDoelRouteringsKenmerk(args[10]);
        request.setKoppelsleutel(args[11]);
        request.setDoel(args[12]);
        try {
            NotificatieResponse response = port.notificatie(request);
            System.out.println("RESULTAAT " + response.getResultaat());
        } catch (Fout fout) {
            for (Fouten.Fout f : fout.getFaultInfo().getFout()) {
                System.out.println("FOUT " + f.getCode() + " " + f.getLocatie());
            }
        }
    }
}
