package io.imageclassifier.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.auth.oauth2.ServiceAccountCredentials;
import java.security.KeyPairGenerator;
import org.junit.jupiter.api.Test;

class GcsCredentialsTest {

    @Test
    void namesTheServiceAccountOfTheCredentials() throws Exception {
        KeyPairGenerator keys = KeyPairGenerator.getInstance("RSA");
        keys.initialize(2048);
        ServiceAccountCredentials credentials = ServiceAccountCredentials.newBuilder()
                .setClientEmail("image-classifier@my-project.iam.gserviceaccount.com")
                .setPrivateKey(keys.generateKeyPair().getPrivate())
                .setProjectId("my-project")
                .build();

        assertThat(GcsCredentials.describe(credentials))
                .isEqualTo("serviceAccount:image-classifier@my-project.iam.gserviceaccount.com");
    }

    @Test
    void saysSoWhenThereAreNoCredentials() {
        assertThat(GcsCredentials.none().principal()).isEqualTo("no credentials (emulator endpoint)");
    }
}
